//! Page tokens: opaque to clients, tamper-evident, and tied to the query that made them.

use sha2::{Digest, Sha256};

use crate::error::ApiError;

const MAC_LEN: usize = 16;

/// Issues and checks page tokens with a key kept in the database, so tokens survive restarts.
pub struct PageTokens {
    key: Vec<u8>,
}

impl PageTokens {
    /// Tokens signed with `key`.
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    /// A token for the page that starts at `offset` of the results of `query`.
    pub fn encode(&self, query: &str, offset: u64) -> String {
        let mut bytes = offset.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.mac(query, offset));
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
        if self.mac(query, offset) != bytes[8..] {
            return Err(invalid());
        }
        Ok(offset)
    }

    fn mac(&self, query: &str, offset: u64) -> [u8; MAC_LEN] {
        let mut hasher = Sha256::new();
        hasher.update(&self.key);
        hasher.update((query.len() as u64).to_be_bytes());
        hasher.update(query.as_bytes());
        hasher.update(offset.to_be_bytes());
        let digest = hasher.finalize();
        let mut mac = [0; MAC_LEN];
        mac.copy_from_slice(&digest[..MAC_LEN]);
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

    #[test]
    fn tokens_round_trip_and_refuse_tampering() {
        let tokens = PageTokens::new(b"key".to_vec());
        let token = tokens.encode("year = 2023", 50);
        assert_eq!(tokens.decode(&token, "year = 2023").unwrap(), 50);
        assert!(tokens.decode(&token, "year = 2022").is_err(), "tied to the query");
        let mut forged = token.clone().into_bytes();
        forged[15] = if forged[15] == b'0' { b'1' } else { b'0' };
        assert!(tokens.decode(std::str::from_utf8(&forged).unwrap(), "year = 2023").is_err());
        assert!(PageTokens::new(b"other".to_vec()).decode(&token, "year = 2023").is_err());
        assert!(tokens.decode("garbage", "").is_err());
        assert!(tokens.decode("é".repeat(24).as_str(), "").is_err());
    }
}
