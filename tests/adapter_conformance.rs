// Adapter conformance, shared by opencloud-async and opencloud-blocking. A real HTTP server
// (axum, on 127.0.0.1:0) produces what the emulator never does: multi-valued headers, arbitrary
// statuses, empty and large bodies, redirects. Each crate includes this file after defining
// `send(base, request) -> Result<Response<Vec<u8>>, TransportError>` over its default adapter.

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

const LARGE: usize = 5 * 1024 * 1024;

fn app() -> Router {
    Router::new()
        .route(
            "/multi",
            get(|| async {
                let mut r = Response::new(axum::body::Body::from("ok"));
                let h = r.headers_mut();
                h.append("x-multi", "a".parse().unwrap());
                h.append("x-multi", "b".parse().unwrap());
                h.append("set-cookie", "c1=1".parse().unwrap());
                h.append("set-cookie", "c2=2".parse().unwrap());
                r
            }),
        )
        .route("/status/{code}", get(|axum::extract::Path(code): axum::extract::Path<u16>| async move { (StatusCode::from_u16(code).unwrap(), format!("status {code}")) }))
        .route("/empty", get(|| async { StatusCode::NO_CONTENT }))
        .route("/large", get(|| async { vec![b'x'; LARGE] }))
        .route("/redirect", get(|| async { (StatusCode::FOUND, [("location", "/multi")], "") }))
        .route(
            "/echo",
            post(|headers: HeaderMap, body: Bytes| async move {
                let key = headers.get("x-api-key").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                let ct = headers.get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                (StatusCode::OK, [("x-seen-key", key), ("x-seen-type", ct)], body).into_response()
            }),
        )
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024))
}

/// Starts the server on its own thread; returns its base URL.
fn start_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap())).unwrap();
            axum::serve(listener, app()).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn get_req(base: &str, path: &str) -> http::Request<Vec<u8>> {
    http::Request::builder().method("GET").uri(format!("{base}{path}")).header("x-api-key", "k").body(Vec::new()).unwrap()
}

conformance!(multi_valued_headers_are_kept, |base| {
    let r = send(&base, get_req(&base, "/multi")).unwrap();
    let multi: Vec<_> = r.headers().get_all("x-multi").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(multi, ["a", "b"]);
    assert_eq!(r.headers().get_all("set-cookie").iter().count(), 2);
    assert_eq!(r.body(), b"ok");
});

conformance!(non_success_statuses_are_responses_not_errors, |base| {
    for code in [400u16, 401, 403, 404, 409, 429, 500, 502, 503] {
        let r = send(&base, get_req(&base, &format!("/status/{code}"))).unwrap();
        assert_eq!(r.status().as_u16(), code);
        assert_eq!(r.body(), format!("status {code}").as_bytes(), "the body of a {code} is kept");
    }
});

conformance!(empty_and_large_bodies, |base| {
    let r = send(&base, get_req(&base, "/empty")).unwrap();
    assert_eq!((r.status().as_u16(), r.body().len()), (204, 0));
    let r = send(&base, get_req(&base, "/large")).unwrap();
    assert_eq!(r.body().len(), LARGE);
    let big = vec![b'y'; LARGE];
    let req = http::Request::builder().method("POST").uri(format!("{base}/echo")).header("x-api-key", "secret").header("content-type", "application/json").body(big.clone()).unwrap();
    let r = send(&base, req).unwrap();
    assert!(r.body() == &big, "the whole 5 MiB body made the round trip ({} bytes came back)", r.body().len());
    assert_eq!(r.headers()["x-seen-key"], "secret");
    assert_eq!(r.headers()["x-seen-type"], "application/json");
});

conformance!(redirects_are_not_followed, |base| {
    let r = send(&base, get_req(&base, "/redirect")).unwrap();
    assert_eq!(r.status().as_u16(), 302, "a redirect would carry the API key elsewhere");
    assert_eq!(r.headers()["location"], "/multi");
});

conformance!(a_refused_connection_is_a_connect_error, |_base| {
    // Bind and drop a listener to find a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead = format!("http://127.0.0.1:{port}");
    let err = send(&dead, get_req(&dead, "/")).unwrap_err();
    assert_eq!(err.kind, TransportErrorKind::Connect, "{err}");
    assert!(err.certainly_not_sent());
});
