//! What the bytes of a PDF text string mean in a font: the characters (a ToUnicode CMap first,
//! then the font's encoding: WinAnsi, Standard, or a Differences array of glyph names), the
//! advance widths, and whether the font is bold.

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Object};

/// A font as the text reader needs it.
#[derive(Debug, Default)]
pub(super) struct Font {
    /// Codes are two bytes (a Type0 font with an Identity or two-byte CMap).
    two_byte: bool,
    /// ToUnicode entries, code to text.
    to_unicode: HashMap<u32, String>,
    /// A simple font's encoding, code to character (`'\0'` where the encoding says nothing).
    encoding: Option<Box<[char; 256]>>,
    /// Advance widths in thousandths of the font size.
    widths: HashMap<u32, f32>,
    default_width: f32,
    pub bold: bool,
}

impl Font {
    /// Reads a font dictionary; a font it cannot make sense of reads as WinAnsi with average
    /// widths rather than failing the page.
    pub fn read(doc: &Document, dict: &Dictionary) -> Font {
        let subtype = name(doc, dict, b"Subtype").unwrap_or_default();
        let base_font = name(doc, dict, b"BaseFont").unwrap_or_default();
        let mut font = Font { default_width: 500.0, ..Font::default() };
        font.to_unicode = resolve(doc, dict.get(b"ToUnicode").ok())
            .and_then(|o| o.as_stream().ok())
            .and_then(|s| s.decompressed_content().ok())
            .map(|data| parse_cmap(&data))
            .unwrap_or_default();
        let mut descriptor = resolve(doc, dict.get(b"FontDescriptor").ok()).and_then(|o| o.as_dict().ok());
        if subtype == "Type0" {
            font.two_byte = true;
            let descendant = resolve(doc, dict.get(b"DescendantFonts").ok())
                .and_then(|o| o.as_array().ok())
                .and_then(|a| resolve(doc, a.first()))
                .and_then(|o| o.as_dict().ok());
            if let Some(cid_font) = descendant {
                font.default_width = number(doc, cid_font.get(b"DW").ok()).unwrap_or(1000.0);
                font.widths = cid_widths(doc, cid_font);
                descriptor = resolve(doc, cid_font.get(b"FontDescriptor").ok()).and_then(|o| o.as_dict().ok());
            }
        } else {
            font.encoding = Some(simple_encoding(doc, dict));
            let first = number(doc, dict.get(b"FirstChar").ok()).unwrap_or(0.0) as u32;
            if let Some(widths) = resolve(doc, dict.get(b"Widths").ok()).and_then(|o| o.as_array().ok()) {
                for (i, w) in widths.iter().enumerate() {
                    if let Some(w) = number(doc, Some(w)) {
                        font.widths.insert(first.saturating_add(u32::try_from(i).unwrap_or(u32::MAX)), w);
                    }
                }
            }
            if let Some(missing) = descriptor.and_then(|d| number(doc, d.get(b"MissingWidth").ok())) {
                font.default_width = missing;
            }
        }
        let weight = descriptor.and_then(|d| number(doc, d.get(b"FontWeight").ok())).unwrap_or(400.0);
        let force_bold = descriptor.and_then(|d| number(doc, d.get(b"Flags").ok())).unwrap_or(0.0) as u32 & (1 << 18);
        let lower = base_font.to_ascii_lowercase();
        font.bold = weight >= 600.0
            || force_bold != 0
            || ["bold", "black", "heavy", "semibold", "demi"].iter().any(|w| lower.contains(w));
        font
    }

    /// How many glyphs a string shows.
    pub fn glyphs(&self, bytes: &[u8]) -> usize {
        if self.two_byte { bytes.len() / 2 } else { bytes.len() }
    }

    /// Decodes a string: appends its text to `out` and returns the sum of the advances, in
    /// thousandths of the font size, and the number of single-byte spaces (for word spacing).
    pub fn decode(&self, bytes: &[u8], out: &mut String) -> (f32, u32) {
        let mut advance = 0.0;
        let mut spaces = 0;
        let step = if self.two_byte { 2 } else { 1 };
        for chunk in bytes.chunks(step) {
            let code = chunk.iter().fold(0u32, |code, &b| code << 8 | u32::from(b));
            advance += self.widths.get(&code).copied().unwrap_or(self.default_width);
            if !self.two_byte && code == 32 {
                spaces += 1;
            }
            if let Some(text) = self.to_unicode.get(&code) {
                out.push_str(text);
            } else if let Some(encoding) = &self.encoding {
                match encoding[code as usize & 0xFF] {
                    '\0' => {}
                    c => out.push(c),
                }
            }
        }
        (advance, spaces)
    }
}

fn resolve<'a>(doc: &'a Document, object: Option<&'a Object>) -> Option<&'a Object> {
    doc.dereference(object?).ok().map(|(_, o)| o)
}

fn number(doc: &Document, object: Option<&Object>) -> Option<f32> {
    match resolve(doc, object)? {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

fn name(doc: &Document, dict: &Dictionary, key: &[u8]) -> Option<String> {
    resolve(doc, dict.get(key).ok())?.as_name().ok().map(|n| String::from_utf8_lossy(n).into_owned())
}

/// The /W array of a CIDFont: `c [w1 w2 ...]` and `first last w`.
fn cid_widths(doc: &Document, cid_font: &Dictionary) -> HashMap<u32, f32> {
    let mut widths = HashMap::new();
    let Some(array) = resolve(doc, cid_font.get(b"W").ok()).and_then(|o| o.as_array().ok()) else {
        return widths;
    };
    let mut i = 0;
    while i + 1 < array.len() {
        let Some(first) = number(doc, Some(&array[i])) else { break };
        let first = first as u32;
        match resolve(doc, Some(&array[i + 1])) {
            Some(Object::Array(list)) => {
                for (k, w) in list.iter().enumerate() {
                    if let Some(w) = number(doc, Some(w)) {
                        widths.insert(first.saturating_add(u32::try_from(k).unwrap_or(u32::MAX)), w);
                    }
                }
                i += 2;
            }
            _ => {
                let (Some(last), Some(w)) = (number(doc, Some(&array[i + 1])), number(doc, array.get(i + 2))) else {
                    break;
                };
                // A range is bounded so that a hostile /W cannot fill memory.
                for code in first..=(last as u32).min(first.saturating_add(0xFFFF)) {
                    widths.insert(code, w);
                }
                i += 3;
            }
        }
    }
    widths
}

/// Windows-1252 above 0x7F (WinAnsiEncoding); the five undefined codes are `'\0'`.
const WIN_ANSI_HIGH: [char; 32] = [
    '€', '\0', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\0', 'Ž', '\0', '\0', '‘', '’', '“', '”', '•',
    '–', '—', '˜', '™', 'š', '›', 'œ', '\0', 'ž', 'Ÿ',
];

fn win_ansi() -> [char; 256] {
    let mut table = ['\0'; 256];
    for (code, slot) in table.iter_mut().enumerate() {
        *slot = match code {
            0x20..=0x7E | 0xA0..=0xFF => u8::try_from(code).map_or('\0', char::from),
            0x80..=0x9F => WIN_ANSI_HIGH[code - 0x80],
            _ => '\0',
        };
    }
    table
}

/// A simple font's code-to-character table: the base encoding named (WinAnsi for anything but
/// StandardEncoding, whose quotes differ), then the Differences array.
fn simple_encoding(doc: &Document, font: &Dictionary) -> Box<[char; 256]> {
    let mut table = Box::new(win_ansi());
    let encoding = resolve(doc, font.get(b"Encoding").ok());
    let base = match encoding {
        Some(Object::Name(name)) => Some(name.as_slice()),
        Some(Object::Dictionary(dict)) => dict.get(b"BaseEncoding").ok().and_then(|o| o.as_name().ok()),
        _ => None,
    };
    if base == Some(b"StandardEncoding".as_slice()) {
        table[0x27] = '’';
        table[0x60] = '‘';
    }
    if let Some(Object::Dictionary(dict)) = encoding
        && let Some(differences) = resolve(doc, dict.get(b"Differences").ok()).and_then(|o| o.as_array().ok())
    {
        let mut code = 0usize;
        for item in differences {
            match item {
                Object::Integer(start) => code = (*start).clamp(0, 255) as usize,
                Object::Name(glyph) => {
                    if let Some(slot) = table.get_mut(code) {
                        *slot = glyph_char(glyph).unwrap_or('\0');
                    }
                    code += 1;
                }
                _ => {}
            }
        }
    }
    table
}

/// The character of a glyph name: `uniXXXX`, `uXXXX`, a one-letter name, or a name of the
/// Adobe Glyph List that text fonts use.
fn glyph_char(name: &[u8]) -> Option<char> {
    let name = std::str::from_utf8(name).ok()?;
    if let Some(hex) = name.strip_prefix("uni").or_else(|| name.strip_prefix('u'))
        && (4..=6).contains(&hex.len())
        && let Ok(code) = u32::from_str_radix(hex, 16)
    {
        return char::from_u32(code);
    }
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(c);
    }
    const NAMES: &[(&str, char)] = &[
        ("space", ' '),
        ("exclam", '!'),
        ("quotedbl", '"'),
        ("numbersign", '#'),
        ("dollar", '$'),
        ("percent", '%'),
        ("ampersand", '&'),
        ("quotesingle", '\''),
        ("quoteright", '’'),
        ("parenleft", '('),
        ("parenright", ')'),
        ("asterisk", '*'),
        ("plus", '+'),
        ("comma", ','),
        ("hyphen", '-'),
        ("period", '.'),
        ("slash", '/'),
        ("zero", '0'),
        ("one", '1'),
        ("two", '2'),
        ("three", '3'),
        ("four", '4'),
        ("five", '5'),
        ("six", '6'),
        ("seven", '7'),
        ("eight", '8'),
        ("nine", '9'),
        ("colon", ':'),
        ("semicolon", ';'),
        ("less", '<'),
        ("equal", '='),
        ("greater", '>'),
        ("question", '?'),
        ("at", '@'),
        ("bracketleft", '['),
        ("backslash", '\\'),
        ("bracketright", ']'),
        ("underscore", '_'),
        ("quoteleft", '‘'),
        ("grave", '`'),
        ("braceleft", '{'),
        ("bar", '|'),
        ("braceright", '}'),
        ("asciitilde", '~'),
        ("bullet", '•'),
        ("endash", '–'),
        ("emdash", '—'),
        ("quotedblleft", '“'),
        ("quotedblright", '”'),
        ("ellipsis", '…'),
        ("fi", 'ﬁ'),
        ("fl", 'ﬂ'),
        ("ff", 'ﬀ'),
        ("ffi", 'ﬃ'),
        ("ffl", 'ﬄ'),
        ("Scaron", 'Š'),
        ("scaron", 'š'),
        ("eacute", 'é'),
        ("egrave", 'è'),
        ("ccedilla", 'ç'),
        ("Ccedilla", 'Ç'),
        ("aacute", 'á'),
        ("oacute", 'ó'),
        ("iacute", 'í'),
        ("uacute", 'ú'),
        ("ntilde", 'ñ'),
        ("odieresis", 'ö'),
        ("udieresis", 'ü'),
        ("adieresis", 'ä'),
        ("section", '§'),
        ("degree", '°'),
        ("minus", '−'),
        ("nbspace", '\u{A0}'),
        ("quotesinglbase", '‚'),
        ("quotedblbase", '„'),
        ("dagger", '†'),
        ("trademark", '™'),
        ("copyright", '©'),
        ("registered", '®'),
        ("Euro", '€'),
        ("sterling", '£'),
        ("OE", 'Œ'),
        ("oe", 'œ'),
    ];
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// The `bfchar` and `bfrange` entries of a ToUnicode CMap.
fn parse_cmap(data: &[u8]) -> HashMap<u32, String> {
    let tokens = cmap_tokens(data);
    let mut map = HashMap::new();
    // Entries a CMap may make (two-byte codes need at most 65,536): a hostile one with many
    // long ranges must not fill memory.
    let mut budget: usize = 1 << 18;
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i] {
            CmapToken::Keyword(b"beginbfchar") => {
                i += 1;
                while let (Some(CmapToken::Hex(src)), Some(CmapToken::Hex(dst))) = (tokens.get(i), tokens.get(i + 1)) {
                    map.insert(code_of(src), utf16(dst));
                    i += 2;
                }
            }
            CmapToken::Keyword(b"beginbfrange") => {
                i += 1;
                while let (Some(CmapToken::Hex(lo)), Some(CmapToken::Hex(hi))) = (tokens.get(i), tokens.get(i + 1)) {
                    let (lo, hi) = (code_of(lo), code_of(hi));
                    // Bounded: a range cannot be longer than one byte's worth of codes apart
                    // from the last byte, as the CMap format says.
                    let hi = hi.min(lo.saturating_add(0xFFFF));
                    match tokens.get(i + 2) {
                        Some(CmapToken::Hex(dst)) => {
                            let base: Vec<u16> = utf16_units(dst);
                            let hi = hi.min(lo.saturating_add(u32::try_from(budget).unwrap_or(u32::MAX)));
                            budget = budget.saturating_sub(hi.saturating_sub(lo) as usize + 1);
                            for (k, code) in (lo..=hi).enumerate() {
                                let mut units = base.clone();
                                if let Some(last) = units.last_mut() {
                                    *last = last.wrapping_add(u16::try_from(k % 0x1_0000).unwrap_or(0));
                                }
                                map.insert(code, String::from_utf16_lossy(&units));
                            }
                            i += 3;
                        }
                        Some(CmapToken::ArrayStart) => {
                            let mut k = i + 3;
                            let mut code = lo;
                            while let Some(CmapToken::Hex(dst)) = tokens.get(k) {
                                if code <= hi {
                                    map.insert(code, utf16(dst));
                                }
                                code = code.saturating_add(1);
                                k += 1;
                            }
                            i = k + 1;
                        }
                        _ => break,
                    }
                }
            }
            _ => i += 1,
        }
    }
    map
}

enum CmapToken<'a> {
    Hex(Vec<u8>),
    Keyword(&'a [u8]),
    ArrayStart,
    Other,
}

fn cmap_tokens(data: &[u8]) -> Vec<CmapToken<'_>> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'<' if data.get(i + 1) != Some(&b'<') => {
                let end = data[i..].iter().position(|&b| b == b'>').map_or(data.len(), |p| i + p);
                let digits: Vec<u8> = data[i + 1..end]
                    .iter()
                    .filter_map(|&b| char::from(b).to_digit(16))
                    .filter_map(|d| u8::try_from(d).ok())
                    .collect();
                let bytes = digits.chunks(2).map(|pair| pair[0] << 4 | pair.get(1).copied().unwrap_or(0)).collect();
                tokens.push(CmapToken::Hex(bytes));
                i = end + 1;
            }
            b'[' => {
                tokens.push(CmapToken::ArrayStart);
                i += 1;
            }
            b'%' => {
                while i < data.len() && data[i] != b'\n' && data[i] != b'\r' {
                    i += 1;
                }
            }
            b if b.is_ascii_alphabetic() => {
                let start = i;
                while i < data.len() && data[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                tokens.push(CmapToken::Keyword(&data[start..i]));
            }
            b if b.is_ascii_whitespace() => i += 1,
            _ => {
                tokens.push(CmapToken::Other);
                i += 1;
            }
        }
    }
    tokens
}

fn code_of(bytes: &[u8]) -> u32 {
    bytes.iter().take(4).fold(0, |code, &b| code << 8 | u32::from(b))
}

fn utf16_units(bytes: &[u8]) -> Vec<u16> {
    bytes.chunks(2).map(|pair| u16::from(pair[0]) << 8 | u16::from(pair.get(1).copied().unwrap_or(0))).collect()
}

fn utf16(bytes: &[u8]) -> String {
    String::from_utf16_lossy(&utf16_units(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tounicode_cmap_maps_single_codes_ranges_and_arrays() {
        let cmap = b"/CIDInit /ProcSet findresource begin 2 beginbfchar <0003> <0020> <0011> <FB01> endbfchar
            1 beginbfrange <0024> <0026> <0041> endbfrange 1 beginbfrange <0030> <0031> [<0066006C> <2014>] endbfrange end";
        let map = parse_cmap(cmap);
        assert_eq!(map[&3], " ");
        assert_eq!(map[&0x11], "ﬁ");
        assert_eq!((map[&0x24].as_str(), map[&0x26].as_str()), ("A", "C"));
        assert_eq!((map[&0x30].as_str(), map[&0x31].as_str()), ("fl", "—"));
    }

    #[test]
    fn glyph_names_read_as_characters() {
        assert_eq!(glyph_char(b"fi"), Some('ﬁ'));
        assert_eq!(glyph_char(b"uni2014"), Some('—'));
        assert_eq!(glyph_char(b"a"), Some('a'));
        assert_eq!(glyph_char(b"g123"), None);
    }
}
