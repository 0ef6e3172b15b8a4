//! Character-set conversion for `vmi_convert_str_encoding`, without iconv.
//! Names and behaviour follow glibc's iconv for the encodings guest strings
//! use: "UTF-16" and "UTF-32" honour a byte-order mark on input (default
//! little-endian, the guest's order) and write one (little-endian) on
//! output; invalid or truncated input fails like iconv's EILSEQ/EINVAL.

use crate::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    /// UTF-16 with optional BOM on input, BOM + little-endian on output.
    Utf16,
    Utf16Le,
    Utf16Be,
    Utf32,
    Utf32Le,
    Utf32Be,
    Ascii,
    Latin1,
}

impl Encoding {
    /// Looks an iconv name up, case-insensitively.
    pub(crate) fn from_name(name: &str) -> Option<Encoding> {
        let n = name.trim().to_ascii_uppercase();
        Some(match n.as_str() {
            "UTF-8" | "UTF8" => Encoding::Utf8,
            "UTF-16" | "UTF16" => Encoding::Utf16,
            "UTF-16LE" | "UTF16LE" | "UCS-2LE" => Encoding::Utf16Le,
            "UTF-16BE" | "UTF16BE" | "UCS-2BE" => Encoding::Utf16Be,
            "UTF-32" | "UTF32" => Encoding::Utf32,
            "UTF-32LE" | "UTF32LE" | "UCS-4LE" => Encoding::Utf32Le,
            "UTF-32BE" | "UTF32BE" | "UCS-4BE" => Encoding::Utf32Be,
            "ASCII" | "US-ASCII" | "ANSI_X3.4-1968" => Encoding::Ascii,
            "LATIN1" | "ISO-8859-1" | "ISO8859-1" | "ISO_8859-1" | "L1" => Encoding::Latin1,
            _ => return None,
        })
    }
}

const BAD: Error = Error::Malformed("invalid or incomplete character sequence");

fn decode_utf16(b: &[u8], big: Option<bool>) -> Result<Vec<char>> {
    if b.len() % 2 != 0 {
        return Err(BAD);
    }
    let (big, body) = match big {
        Some(be) => (be, b),
        None => match b {
            [0xff, 0xfe, rest @ ..] => (false, rest),
            [0xfe, 0xff, rest @ ..] => (true, rest),
            _ => (false, b),
        },
    };
    let units = body.chunks_exact(2).map(|c| {
        if big {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    char::decode_utf16(units)
        .collect::<core::result::Result<Vec<char>, _>>()
        .map_err(|_| BAD)
}

fn decode_utf32(b: &[u8], big: Option<bool>) -> Result<Vec<char>> {
    if b.len() % 4 != 0 {
        return Err(BAD);
    }
    let (big, body) = match big {
        Some(be) => (be, b),
        None => match b {
            [0xff, 0xfe, 0, 0, rest @ ..] => (false, rest),
            [0, 0, 0xfe, 0xff, rest @ ..] => (true, rest),
            _ => (false, b),
        },
    };
    body.chunks_exact(4)
        .map(|c| {
            let v = if big {
                u32::from_be_bytes([c[0], c[1], c[2], c[3]])
            } else {
                u32::from_le_bytes([c[0], c[1], c[2], c[3]])
            };
            char::from_u32(v).ok_or(BAD)
        })
        .collect()
}

pub(crate) fn decode(enc: Encoding, b: &[u8]) -> Result<Vec<char>> {
    match enc {
        Encoding::Utf8 => Ok(core::str::from_utf8(b).map_err(|_| BAD)?.chars().collect()),
        Encoding::Utf16 => decode_utf16(b, None),
        Encoding::Utf16Le => decode_utf16(b, Some(false)),
        Encoding::Utf16Be => decode_utf16(b, Some(true)),
        Encoding::Utf32 => decode_utf32(b, None),
        Encoding::Utf32Le => decode_utf32(b, Some(false)),
        Encoding::Utf32Be => decode_utf32(b, Some(true)),
        Encoding::Ascii => b
            .iter()
            .map(|&c| {
                if c < 0x80 {
                    Ok(char::from(c))
                } else {
                    Err(BAD)
                }
            })
            .collect(),
        Encoding::Latin1 => Ok(b.iter().map(|&c| char::from(c)).collect()),
    }
}

pub(crate) fn encode(enc: Encoding, chars: &[char]) -> Result<Vec<u8>> {
    const UNREPRESENTABLE: Error =
        Error::Malformed("character not representable in the target encoding");
    let mut out = Vec::new();
    let mut units = [0u16; 2];
    match enc {
        Encoding::Utf8 => {
            let mut tmp = [0u8; 4];
            for c in chars {
                out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
        }
        Encoding::Utf16 | Encoding::Utf16Le | Encoding::Utf16Be => {
            let be = enc == Encoding::Utf16Be;
            if enc == Encoding::Utf16 {
                out.extend_from_slice(&[0xff, 0xfe]);
            }
            for c in chars {
                for u in c.encode_utf16(&mut units) {
                    out.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
                }
            }
        }
        Encoding::Utf32 | Encoding::Utf32Le | Encoding::Utf32Be => {
            let be = enc == Encoding::Utf32Be;
            if enc == Encoding::Utf32 {
                out.extend_from_slice(&[0xff, 0xfe, 0, 0]);
            }
            for &c in chars {
                let v = u32::from(c);
                out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
            }
        }
        Encoding::Ascii | Encoding::Latin1 => {
            let max = if enc == Encoding::Ascii { 0x7f } else { 0xff };
            for &c in chars {
                let v = u32::from(c);
                if v > max {
                    return Err(UNREPRESENTABLE);
                }
                out.push(v as u8);
            }
        }
    }
    Ok(out)
}

/// Converts `input` from `from` to `to`.
pub(crate) fn convert(input: &[u8], from: Encoding, to: Encoding) -> Result<Vec<u8>> {
    encode(to, &decode(from, input)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
    }

    #[test]
    fn utf16_to_utf8_with_and_without_bom() {
        let s = "héllo \u{1F600}";
        let le = utf16le(s);
        assert_eq!(
            convert(&le, Encoding::Utf16, Encoding::Utf8).unwrap(),
            s.as_bytes()
        );
        let mut bom = vec![0xff, 0xfe];
        bom.extend_from_slice(&le);
        assert_eq!(
            convert(&bom, Encoding::Utf16, Encoding::Utf8).unwrap(),
            s.as_bytes()
        );
        let be: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let mut bebom = vec![0xfe, 0xff];
        bebom.extend_from_slice(&be);
        assert_eq!(
            convert(&bebom, Encoding::Utf16, Encoding::Utf8).unwrap(),
            s.as_bytes()
        );
        assert_eq!(
            convert(&be, Encoding::Utf16Be, Encoding::Utf8).unwrap(),
            s.as_bytes()
        );
    }

    #[test]
    fn invalid_input_fails() {
        assert!(
            convert(&[0x61], Encoding::Utf16Le, Encoding::Utf8).is_err(),
            "odd length"
        );
        assert!(
            convert(&[0x00, 0xd8], Encoding::Utf16Le, Encoding::Utf8).is_err(),
            "lone surrogate"
        );
        assert!(convert(&[0xc3], Encoding::Utf8, Encoding::Utf8).is_err());
        assert!(convert("é".as_bytes(), Encoding::Utf8, Encoding::Ascii).is_err());
    }

    #[test]
    fn outputs_match_glibc_conventions() {
        assert_eq!(
            convert(b"a", Encoding::Utf8, Encoding::Utf16).unwrap(),
            [0xff, 0xfe, 0x61, 0]
        );
        assert_eq!(
            convert(b"a", Encoding::Utf8, Encoding::Utf16Be).unwrap(),
            [0, 0x61]
        );
        assert_eq!(
            convert(&[0xe9], Encoding::Latin1, Encoding::Utf8).unwrap(),
            "é".as_bytes()
        );
        assert_eq!(
            convert("é".as_bytes(), Encoding::Utf8, Encoding::Latin1).unwrap(),
            [0xe9]
        );
        assert_eq!(Encoding::from_name("utf-16le"), Some(Encoding::Utf16Le));
        assert_eq!(Encoding::from_name("EBCDIC"), None);
    }
}
