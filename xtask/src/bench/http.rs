//! One HTTP/1.1 keep-alive connection, on hyper's low-level client: no pool, no redirect
//! following, no cookie store — the scenarios do those themselves, explicitly.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{self, HeaderName};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The parts of a response the scenarios look at.
#[derive(Debug)]
pub(crate) struct Reply {
    /// Status code.
    pub(crate) status: u16,
    /// `Location`, if any.
    pub(crate) location: Option<String>,
    /// Every `Set-Cookie`.
    pub(crate) cookies: Vec<String>,
    /// `Retry-After` in seconds, if given as a number.
    pub(crate) retry_after: Option<u64>,
    /// The whole body.
    pub(crate) body: Bytes,
}

/// A request body: content type and bytes.
pub(crate) type Body = (&'static str, String);

/// A keep-alive connection to one server, reopened when the server closes it.
pub(crate) struct Conn {
    addr: SocketAddr,
    host: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    /// A connection to `addr`, opened at the first request.
    pub(crate) fn new(addr: SocketAddr) -> Self {
        Conn {
            addr,
            host: addr.to_string(),
            sender: None,
        }
    }

    /// Drops the connection; the next request opens a new one.
    pub(crate) fn reset(&mut self) {
        self.sender = None;
    }

    async fn open(&self) -> Result<SendRequest<Full<Bytes>>> {
        let stream = TcpStream::connect(self.addr)
            .await
            .with_context(|| format!("connect {}", self.addr))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // Ends when the server or we close the connection; nothing to report.
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Sends one request and reads the whole response.
    pub(crate) async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(HeaderName, &str)],
        body: Option<Body>,
    ) -> Result<Reply> {
        let result = self.exchange(method, path, headers, body).await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(HeaderName, &str)],
        body: Option<Body>,
    ) -> Result<Reply> {
        let mut sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => self.open().await?,
        };
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.host);
        for (name, value) in headers {
            builder = builder.header(name, *value);
        }
        let request = match body {
            Some((content_type, bytes)) => builder
                .header(header::CONTENT_TYPE, content_type)
                .body(Full::new(Bytes::from(bytes)))?,
            None => builder.body(Full::new(Bytes::new()))?,
        };
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let h = response.headers();
        let text = |name: &HeaderName| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let location = text(&header::LOCATION);
        let retry_after = text(&header::RETRY_AFTER).and_then(|v| v.trim().parse().ok());
        let cookies = h
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        let close = h
            .get(header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        let body = response.into_body().collect().await?.to_bytes();
        if !close {
            self.sender = Some(sender);
        }
        Ok(Reply {
            status,
            location,
            cookies,
            retry_after,
            body,
        })
    }
}

/// A bare keep-alive GET (or form POST) loop for the stateless scenarios: one pre-built request, the
/// response read with `httparse` and `Content-Length` — about half the client-side CPU of
/// hyper's client per request, so one generator core can keep a one-core server busy.
pub(crate) struct RawGet {
    addr: SocketAddr,
    request: Vec<u8>,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    /// Bytes a successful response's body must contain.
    expect: Option<&'static [u8]>,
    /// `GET` or `POST`, for error labels.
    method: &'static str,
}

/// Status and `Retry-After` of a [`RawGet`] response.
pub(crate) struct RawReply {
    /// Status code.
    pub(crate) status: u16,
    /// `Retry-After` in seconds, if given as a number.
    pub(crate) retry_after: Option<u64>,
}

impl RawGet {
    /// GET `path` (with an `Authorization` header if given) on `addr`.
    pub(crate) fn new(addr: SocketAddr, path: &str, authorization: Option<&str>) -> Self {
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n");
        if let Some(a) = authorization {
            request.push_str(&format!("Authorization: {a}\r\n"));
        }
        request.push_str("\r\n");
        RawGet {
            addr,
            request: request.into_bytes(),
            stream: None,
            buf: Vec::with_capacity(16 * 1024),
            expect: None,
            method: "GET",
        }
    }

    /// POST the form `body` to `path` with an `Authorization` header on `addr`; a 200
    /// answer counts only if its body contains `expect`.
    pub(crate) fn post_form(
        addr: SocketAddr,
        path: &str,
        authorization: &str,
        body: &str,
        expect: &'static [u8],
    ) -> Self {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {authorization}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        RawGet {
            addr,
            request: request.into_bytes(),
            stream: None,
            buf: Vec::with_capacity(16 * 1024),
            expect: Some(expect),
            method: "POST",
        }
    }

    /// Drops the connection; the next request opens a new one.
    pub(crate) fn reset(&mut self) {
        self.stream = None;
    }

    /// The request's method.
    pub(crate) fn method(&self) -> &'static str {
        self.method
    }

    /// Sends the request and reads the whole response.
    pub(crate) async fn get(&mut self) -> Result<RawReply> {
        let result = self.exchange().await;
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    async fn exchange(&mut self) -> Result<RawReply> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let stream = match &mut self.stream {
            Some(s) => s,
            None => {
                let s = TcpStream::connect(self.addr)
                    .await
                    .with_context(|| format!("connect {}", self.addr))?;
                s.set_nodelay(true)?;
                self.stream.insert(s)
            }
        };
        stream.write_all(&self.request).await?;
        self.buf.clear();
        loop {
            if stream.read_buf(&mut self.buf).await? == 0 {
                anyhow::bail!("connection closed by the server");
            }
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            let httparse::Status::Complete(head) = response.parse(&self.buf)? else {
                continue;
            };
            let status = response.code.unwrap_or_default();
            let mut length = None;
            let mut close = false;
            let mut retry_after = None;
            for h in response.headers.iter() {
                let value = std::str::from_utf8(h.value).unwrap_or_default().trim();
                if h.name.eq_ignore_ascii_case("content-length") {
                    length = value.parse::<usize>().ok();
                } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                    anyhow::bail!("unsupported transfer-encoding {value}");
                } else if h.name.eq_ignore_ascii_case("connection") {
                    close = value.eq_ignore_ascii_case("close");
                } else if h.name.eq_ignore_ascii_case("retry-after") {
                    retry_after = value.parse().ok();
                }
            }
            let total = head + length.unwrap_or(0);
            while self.buf.len() < total {
                if stream.read_buf(&mut self.buf).await? == 0 {
                    anyhow::bail!("connection closed mid-body");
                }
            }
            if close || length.is_none() {
                self.stream = None;
            }
            if let Some(needle) = self.expect.filter(|_| status == 200) {
                let body = &self.buf[head..total];
                if !body.windows(needle.len()).any(|w| w == needle) {
                    anyhow::bail!("the answer lacks {:?}", String::from_utf8_lossy(needle));
                }
            }
            return Ok(RawReply {
                status,
                retry_after,
            });
        }
    }
}
