//! Who may write: with a token configured, IngestService requires `authorization: Bearer TOKEN`.
//! Reads stay open.

use sha2::{Digest, Sha256};
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// Checks the bearer token of write requests; without a token, lets every write through.
#[derive(Clone, Copy)]
pub struct WriteAuth {
    /// SHA-256 of the expected token, if any: comparing digests keeps the comparison's time
    /// independent of the token's length and content.
    expected: Option<[u8; 32]>,
}

impl WriteAuth {
    /// Requires `token`, if given, on every write; with `None`, writes are open.
    pub fn new(token: Option<&str>) -> Self {
        Self { expected: token.map(|token| Sha256::digest(token.as_bytes()).into()) }
    }
}

impl Interceptor for WriteAuth {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(expected) = &self.expected else { return Ok(request) };
        let Some(value) = request.metadata().get("authorization") else {
            return Err(Status::unauthenticated("writes need the metadata \"authorization: Bearer TOKEN\""));
        };
        let presented = value.to_str().ok().and_then(bearer_token).unwrap_or_default();
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        if constant_time_eq(&digest, expected) {
            Ok(request)
        } else {
            Err(Status::permission_denied("the bearer token is not the one this server accepts for writes"))
        }
    }
}

/// The token of an `authorization` value in the Bearer scheme, whose name is case-insensitive
/// (RFC 7235: "bearer", "BEARER" and "Bearer" are one scheme).
fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.split_once(' ')?;
    scheme.eq_ignore_ascii_case("Bearer").then_some(token)
}

/// Equality whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |difference, (x, y)| difference | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(authorization: Option<&str>) -> Request<()> {
        let mut request = Request::new(());
        if let Some(value) = authorization {
            request.metadata_mut().insert("authorization", value.parse().unwrap());
        }
        request
    }

    #[test]
    fn accepts_the_token_and_refuses_others_with_distinct_codes() {
        let mut auth = WriteAuth::new(Some("s3cret"));
        for scheme in ["Bearer", "bearer", "BEARER"] {
            assert!(auth.call(request(Some(&format!("{scheme} s3cret")))).is_ok(), "{scheme}");
        }
        assert_eq!(auth.call(request(None)).unwrap_err().code(), tonic::Code::Unauthenticated);
        assert_eq!(auth.call(request(Some("Bearer wrong"))).unwrap_err().code(), tonic::Code::PermissionDenied);
        assert_eq!(auth.call(request(Some("s3cret"))).unwrap_err().code(), tonic::Code::PermissionDenied);
        assert_eq!(auth.call(request(Some("Basic s3cret"))).unwrap_err().code(), tonic::Code::PermissionDenied);
    }

    #[test]
    fn without_a_token_writes_are_open() {
        let mut auth = WriteAuth::new(None);
        assert!(auth.call(request(None)).is_ok());
        assert!(auth.call(request(Some("Bearer anything"))).is_ok());
    }
}
