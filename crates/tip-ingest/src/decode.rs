//! Bytes to text: byte-order marks, UTF-8, UTF-16, the Windows-1252 fallback, line ends.

use std::fmt;

/// The character encoding a document was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 with a byte-order mark.
    Utf8Bom,
    /// UTF-16, little-endian, with a byte-order mark.
    Utf16Le,
    /// UTF-16, big-endian, with a byte-order mark.
    Utf16Be,
    /// Windows-1252, assumed for bytes that are not valid UTF-8.
    Windows1252,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 (BOM)",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Windows1252 => "windows-1252",
        })
    }
}

/// Text decoded from bytes, with what decoding noticed.
pub struct Decoded {
    /// The text with every line end as `\n` and the byte-order mark removed.
    pub text: String,
    /// The encoding detected.
    pub encoding: Encoding,
    /// Problems that make the text unusable (offset in `text`, message).
    pub errors: Vec<(usize, String)>,
    /// Problems worked around (offset in `text`, message).
    pub warnings: Vec<(usize, String)>,
}

/// Decodes a document. Never fails: undecodable input yields errors alongside the best text.
pub fn decode(bytes: &[u8]) -> Decoded {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let (raw, encoding) = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        (utf8_or_1252(rest, &mut warnings).0, Encoding::Utf8Bom)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        (utf16(rest, u16::from_le_bytes, &mut errors), Encoding::Utf16Le)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        (utf16(rest, u16::from_be_bytes, &mut errors), Encoding::Utf16Be)
    } else {
        match utf8_or_1252(bytes, &mut warnings) {
            (text, true) => (text, Encoding::Utf8),
            (text, false) => (text, Encoding::Windows1252),
        }
    };
    let text = normalize_line_ends(raw);
    if let Some(offset) = memchr::memchr(0, text.as_bytes()) {
        let hint = if memchr::memchr_iter(0, bytes).count() * 3 > bytes.len() {
            " (it looks like UTF-16 without a byte-order mark: save it with a BOM or as UTF-8)"
        } else {
            ""
        };
        errors.push((offset, format!("the document contains NUL bytes: it is binary, not text{hint}")));
    } else if let Some(offset) = first_control(&text) {
        let count = text.chars().filter(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\u{c}')).count();
        if count * 100 > text.chars().count().max(1) {
            errors.push((offset, format!("the document has {count} control characters: it is binary, not text")));
        }
    }
    Decoded { text, encoding, errors, warnings }
}

/// Valid UTF-8 as is (and `true`); otherwise every byte as Windows-1252 (and `false`), with a
/// warning at the first bad byte.
fn utf8_or_1252(bytes: &[u8], warnings: &mut Vec<(usize, String)>) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), true),
        Err(error) => {
            let valid = error.valid_up_to();
            warnings.push((
                valid,
                format!(
                    "byte 0x{:02X} at offset {valid} is not UTF-8: the document was read as Windows-1252",
                    bytes[valid]
                ),
            ));
            (bytes.iter().map(|&b| windows_1252(b)).collect(), false)
        }
    }
}

/// The character of a Windows-1252 byte (the five undefined bytes map to C1 controls, as
/// browsers do).
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// Unpaired surrogates reported one by one; the rest are counted. With the odd-length error
/// and the count, the decoder's errors fit the diagnostics kept per code.
const MAX_REPORTED: usize = crate::Diagnostics::PER_CODE - 2;

fn utf16(bytes: &[u8], read: fn([u8; 2]) -> u16, errors: &mut Vec<(usize, String)>) -> String {
    if bytes.len() % 2 == 1 {
        errors.push((0, "the UTF-16 document has an odd number of bytes: it was cut off".to_owned()));
    }
    let units = bytes.chunks_exact(2).map(|pair| read([pair[0], pair[1]]));
    let mut text = String::with_capacity(bytes.len() / 2);
    let mut unpaired = 0;
    for unit in char::decode_utf16(units) {
        match unit {
            Ok(c) => text.push(c),
            Err(e) => {
                unpaired += 1;
                if unpaired <= MAX_REPORTED {
                    let message = format!("invalid UTF-16: unpaired surrogate 0x{:04X}", e.unpaired_surrogate());
                    errors.push((text.len(), message));
                }
                text.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }
    if unpaired > MAX_REPORTED {
        let more = unpaired - MAX_REPORTED;
        errors.push((text.len(), format!("invalid UTF-16: {more} more unpaired surrogates")));
    }
    text
}

/// The byte offset of the first control character other than a line feed, a tab, a form feed
/// or U+0092 (a Windows-1252 apostrophe read as Latin-1): `text.find(|c| c.is_control() && ..)`
/// over bytes. Control characters (category Cc) are U+0000-U+001F, U+007F and U+0080-U+009F,
/// the last encoded C2 80 to C2 9F.
fn first_control(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    // A branch-free pass the compiler vectorizes rules out most texts at once.
    let candidate = |b: u8| (b < 0x20 && b != b'\n' && b != b'\t' && b != 0x0C) | (b == 0x7F) | (b == 0xC2);
    if !crate::layout::any_byte(bytes, candidate) {
        return None;
    }
    let mut from = 0;
    while let Some(at) = bytes[from..].iter().position(|&b| b < 0x20 || b == 0x7F || b == 0xC2) {
        let i = from + at;
        match bytes[i] {
            b'\n' | b'\t' | 0x0C => {}
            0xC2 => {
                if bytes.get(i + 1).is_some_and(|&next| (0x80..=0x9F).contains(&next) && next != 0x92) {
                    return Some(i);
                }
            }
            _ => return Some(i),
        }
        from = i + 1;
    }
    None
}

/// The text with its byte-order mark removed and every line end as `\n`; no copy when there is
/// nothing to change.
fn normalize_line_ends(mut text: String) -> String {
    if text.starts_with('\u{FEFF}') {
        text.drain(..'\u{FEFF}'.len_utf8());
    }
    if memchr::memchr(b'\r', text.as_bytes()).is_none() {
        return text;
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_encoding() {
        let text = "Côte d’Ivoire\r\nline\rend";
        let utf8 = decode(text.as_bytes());
        assert_eq!((utf8.encoding, utf8.text.as_str()), (Encoding::Utf8, "Côte d’Ivoire\nline\nend"));

        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom).encoding, Encoding::Utf8Bom);

        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let le = decode(&le);
        assert_eq!((le.encoding, le.text.as_str()), (Encoding::Utf16Le, "Côte d’Ivoire\nline\nend"));

        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be).text, "Côte d’Ivoire\nline\nend");

        let cp1252 = decode(b"Cote D\x92Ivoire");
        assert_eq!((cp1252.encoding, cp1252.text.as_str()), (Encoding::Windows1252, "Cote D’Ivoire"));
        assert_eq!(cp1252.warnings.len(), 1);
    }

    #[test]
    fn finds_control_characters_as_the_char_search_does() {
        let slow = |t: &str| t.find(|c: char| c.is_control() && !matches!(c, '\n' | '\t' | '\u{c}' | '\u{92}'));
        for text in [
            "plain text\n\twith tabs\u{c}",
            "a\u{1}b",
            "caf\u{e9} \u{a0}nbsp \u{92} then \u{85}",
            "\u{7f}",
            "\u{9f}\u{a0}",
            "\u{c2}\u{80}x",
            "end\u{92}",
            "",
        ] {
            assert_eq!(first_control(text), slow(text), "{text:?}");
        }
    }

    #[test]
    fn refuses_binary_and_broken_utf16() {
        assert!(!decode(b"abc\0def").errors.is_empty());
        assert!(!decode(&[0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00]).errors.is_empty());
        let random: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0]).collect();
        assert!(!decode(&random).errors.is_empty());
    }
}
