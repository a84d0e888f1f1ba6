//! Conformance of the ureq adapter.

use opencloud_blocking::{HttpClient, TransportError, TransportErrorKind, UreqClient, http};

fn send(
    _base: &str,
    req: http::Request<Vec<u8>>,
) -> Result<http::Response<Vec<u8>>, TransportError> {
    UreqClient::new(std::time::Duration::from_secs(30)).call(req)
}

macro_rules! conformance {
    ($name:ident, |$base:ident| $body:block) => {
        #[test]
        fn $name() {
            let $base = start_server();
            $body
        }
    };
}

include!("../../../tests/adapter_conformance.rs");
