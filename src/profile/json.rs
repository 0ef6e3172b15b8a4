//! JSON profiles: one typed pass over the document, then the kind is decided
//! the way upstream does — a top-level `metadata` key means Volatility ISF,
//! `$METADATA` means Rekall — and the matching converter fills a [`Profile`].

use core::fmt;
use core::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::decompress::{decompress, MAX_DECOMPRESSED};
use super::{isf, read_file_bounded, rekall, Profile};
use crate::{Error, Result};

/// Which JSON profile format a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    /// Volatility 3 Intermediate Symbol Format.
    Isf,
    Rekall,
}

/// A JSON object read as its entries in document order (duplicates kept;
/// the converters keep the first of a name).
pub(crate) struct Entries<T>(pub(crate) Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        struct EntriesVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> core::result::Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, T>()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// Every top-level section either format may have. ISF sections are typed
/// (they are large); Rekall's are small and irregular, so kept as values.
#[derive(serde::Deserialize)]
pub(crate) struct Document {
    pub(crate) metadata: Option<Value>,
    pub(crate) base_types: Option<Entries<isf::BaseTypeJson>>,
    pub(crate) user_types: Option<Entries<isf::UserTypeJson>>,
    pub(crate) enums: Option<Entries<isf::EnumJson>>,
    pub(crate) symbols: Option<Entries<isf::SymbolJson>>,
    #[serde(rename = "$METADATA")]
    pub(crate) rekall_metadata: Option<Value>,
    #[serde(rename = "$CONSTANTS")]
    pub(crate) rekall_constants: Option<Value>,
    #[serde(rename = "$FUNCTIONS")]
    pub(crate) rekall_functions: Option<Value>,
    #[serde(rename = "$STRUCTS")]
    pub(crate) rekall_structs: Option<Value>,
    #[serde(rename = "$ENUMS")]
    pub(crate) rekall_enums: Option<Value>,
}

fn parse_document(bytes: &[u8]) -> Result<Document> {
    let text = decompress(bytes, MAX_DECOMPRESSED)?;
    serde_json::from_slice::<Document>(&text).map_err(|e| {
        crate::log_debug!("JSON profile rejected: {e}");
        use serde_json::error::Category;
        Error::Malformed(match e.classify() {
            Category::Eof => "JSON profile is truncated",
            Category::Syntax | Category::Io => "profile is not valid JSON",
            Category::Data => "JSON profile has an unexpected structure",
        })
    })
}

/// Parses an ISF or Rekall profile (plain, xz or gzip) and says which it was.
pub fn from_json(bytes: &[u8]) -> Result<(Profile, JsonKind)> {
    let doc = parse_document(bytes)?;
    if doc.metadata.is_some() {
        Ok((isf::convert(doc), JsonKind::Isf))
    } else if doc.rekall_metadata.is_some() {
        Ok((rekall::convert(doc), JsonKind::Rekall))
    } else {
        Err(Error::Malformed(
            "JSON has neither ISF metadata nor Rekall $METADATA",
        ))
    }
}

/// Parses a Volatility 3 ISF profile (plain, xz or gzip).
pub fn from_isf(bytes: &[u8]) -> Result<Profile> {
    match from_json(bytes)? {
        (p, JsonKind::Isf) => Ok(p),
        _ => Err(Error::Malformed("not a Volatility ISF profile")),
    }
}

/// Parses a Rekall JSON profile (plain, xz or gzip).
pub fn from_rekall(bytes: &[u8]) -> Result<Profile> {
    match from_json(bytes)? {
        (p, JsonKind::Rekall) => Ok(p),
        _ => Err(Error::Malformed("not a Rekall profile")),
    }
}

/// Reads a JSON profile file of either kind, compressed or not.
pub fn load_json_profile(path: &std::path::Path) -> Result<(Profile, JsonKind)> {
    from_json(&read_file_bounded(path, MAX_DECOMPRESSED)?)
}
