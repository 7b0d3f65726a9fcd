//! Page tokens: opaque to clients, tamper-evident, and tied to the query that made them. A
//! token is the offset and an HMAC-SHA256 of the query and the offset, in hexadecimal.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// The length of a MAC: the whole SHA-256 output.
const MAC_LEN: usize = 32;

/// Issues and checks page tokens with a key kept in the database, so tokens survive restarts.
pub struct PageTokens {
    /// The HMAC with the key already absorbed, cloned for each token.
    keyed: HmacSha256,
}

impl PageTokens {
    /// Tokens signed with `key`.
    pub fn new(key: Vec<u8>) -> Self {
        Self { keyed: HmacSha256::new_from_slice(&key).expect("HMAC takes a key of any length") }
    }

    /// A token for the page that starts at `offset` of the results of `query`.
    pub fn encode(&self, query: &str, offset: u64) -> String {
        let mut bytes = offset.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.mac(query, offset).finalize().into_bytes());
        tip_model::hex::to_hex(&bytes)
    }

    /// The offset a token points at; INVALID_ARGUMENT on `page_token` when the token was not
    /// issued by this service or belongs to another query.
    pub fn decode(&self, token: &str, query: &str) -> Result<u64, ApiError> {
        if token.is_empty() {
            return Ok(0);
        }
        let invalid = || {
            ApiError::invalid(
                "page_token",
                "not a page token of this query: pass the next_page_token of a call with the same other fields",
            )
        };
        let bytes = (token.len() == 2 * (8 + MAC_LEN) && token.is_ascii())
            .then(|| {
                (0..token.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&token[i..i + 2], 16).ok())
                    .collect::<Option<Vec<u8>>>()
            })
            .flatten()
            .ok_or_else(invalid)?;
        let offset = u64::from_be_bytes(bytes[..8].try_into().map_err(|_| invalid())?);
        // In constant time: how long a guess took tells nothing of how close it came.
        self.mac(query, offset).verify_slice(&bytes[8..]).map_err(|_| invalid())?;
        Ok(offset)
    }

    /// The MAC of `query` and `offset`, ready to finalize or verify. The query's length comes
    /// first so that no two (query, offset) pairs give the same bytes.
    fn mac(&self, query: &str, offset: u64) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        mac.update(&(query.len() as u64).to_be_bytes());
        mac.update(query.as_bytes());
        mac.update(&offset.to_be_bytes());
        mac
    }
}

/// The page size to use: 0 means `default`, larger than `max` is lowered to `max`, negative is
/// INVALID_ARGUMENT.
pub fn page_size(requested: i32, default: u64, max: u64) -> Result<u64, ApiError> {
    match requested {
        n if n < 0 => Err(ApiError::invalid("page_size", format!("must not be negative; got {n}"))),
        0 => Ok(default),
        n => Ok((n as u64).min(max)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY: &str = "year = 2023";

    fn flip_digit(token: &str, at: usize) -> String {
        let mut bytes = token.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn tokens_round_trip() {
        let tokens = PageTokens::new(b"key".to_vec());
        assert_eq!(tokens.decode(&tokens.encode(QUERY, 50), QUERY).unwrap(), 50);
        assert_eq!(tokens.decode("", QUERY).unwrap(), 0, "no token is the first page");
    }

    #[test]
    fn a_forged_token_is_refused() {
        let tokens = PageTokens::new(b"key".to_vec());
        let token = tokens.encode(QUERY, 50);
        assert!(tokens.decode(&flip_digit(&token, 15), QUERY).is_err(), "another offset, same MAC");
        assert!(tokens.decode(&flip_digit(&token, token.len() - 1), QUERY).is_err(), "a MAC changed");
        assert!(tokens.decode(&token[..token.len() - 2], QUERY).is_err(), "a MAC cut short");
        let other_key = PageTokens::new(b"other".to_vec());
        assert!(other_key.decode(&token, QUERY).is_err(), "a token signed with another key");
        assert!(tokens.decode(&other_key.encode(QUERY, 50), QUERY).is_err());
        assert!(tokens.decode("garbage", QUERY).is_err());
        assert!(tokens.decode(&"é".repeat(token.len() / 2), QUERY).is_err(), "as long, not ASCII");
    }

    #[test]
    fn a_token_of_another_query_is_refused() {
        let tokens = PageTokens::new(b"key".to_vec());
        let token = tokens.encode(QUERY, 50);
        assert!(tokens.decode(&token, "year = 2022").is_err());
        assert!(tokens.decode(&token, "").is_err());
    }
}
