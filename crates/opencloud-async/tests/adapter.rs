//! Conformance of the reqwest adapter.

use opencloud_async::{HttpClient, ReqwestClient, TransportError, TransportErrorKind, http};

fn send(
    _base: &str,
    req: http::Request<Vec<u8>>,
) -> Result<http::Response<Vec<u8>>, TransportError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = ReqwestClient::new(std::time::Duration::from_secs(30)).unwrap();
    rt.block_on(client.call(req))
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
