//! The import CSV read as Excel and kintone write it, once for the intake handler and the
//! import client: the text decoded (UTF-8 with or without a BOM, or Shift_JIS), never a
//! replacement character in place of what could not be read; then the header row and each
//! data row numbered as a spreadsheet shows it (the header is row 1), blank rows skipped.

use csv::{StringRecord, StringRecordsIntoIter};
use encoding_rs::SHIFT_JIS;
use zeroize::Zeroizing;

/// What a file's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    /// As Excel and kintone export on Japanese Windows (Windows-31J).
    ShiftJis,
}

/// The bytes are not text in the charset they were read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotText;

/// The text of `bytes`, zeroed when dropped (it holds numbers): in `charset` when it is
/// known (declared by a Content-Type), or else UTF-8 when the bytes are, and Shift_JIS
/// otherwise. A UTF-8 BOM is dropped.
pub fn decode(bytes: &[u8], charset: Option<Charset>) -> Result<Zeroizing<String>, NotText> {
    let utf8 = || {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        std::str::from_utf8(bytes).map(|s| Zeroizing::new(s.to_owned()))
    };
    let shift_jis = || {
        SHIFT_JIS
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|s| Zeroizing::new(s.into_owned()))
            .ok_or(NotText)
    };
    match charset {
        Some(Charset::Utf8) => utf8().map_err(|_| NotText),
        Some(Charset::ShiftJis) => shift_jis(),
        None => utf8().or_else(|_| shift_jis()),
    }
}

/// A CSV text's header, then its data rows.
pub struct Sheet<'t> {
    pub header: StringRecord,
    records: StringRecordsIntoIter<&'t [u8]>,
    /// Records read so far after the header (blank ones included).
    read: usize,
}

/// The header and rows of `text`; `None` when it has no readable header row. Rows may have
/// any number of cells: a short or long row is the caller's to judge, per row.
pub fn sheet(text: &str) -> Option<Sheet<'_>> {
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .into_records();
    let header = records.next()?.ok()?;
    Some(Sheet {
        header,
        records,
        read: 0,
    })
}

impl Iterator for Sheet<'_> {
    /// A data row's number as a spreadsheet shows it, and its cells, or why it is not CSV.
    type Item = (u32, Result<StringRecord, csv::Error>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let record = self.records.next()?;
            self.read += 1;
            let row = u32::try_from(self.read + 1).unwrap_or(u32::MAX);
            match record {
                // Trailing blank lines that spreadsheets leave.
                Ok(r) if r.iter().all(|c| c.trim().is_empty()) => continue,
                other => return Some((row, other)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_a_bom_and_shift_jis_are_read_and_nothing_is_replaced() {
        let text = "従業員番号,続柄\nE1,本人\n";
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom, None).unwrap().as_str(), text);
        assert_eq!(decode(&bom, Some(Charset::Utf8)).unwrap().as_str(), text);
        let (sjis, _, bad) = SHIFT_JIS.encode(text);
        assert!(!bad);
        assert_eq!(decode(&sjis, None).unwrap().as_str(), text);
        assert_eq!(
            decode(&sjis, Some(Charset::ShiftJis)).unwrap().as_str(),
            text
        );
        // Declared UTF-8 but not: refused, not guessed.
        assert_eq!(decode(&sjis, Some(Charset::Utf8)), Err(NotText));
        assert_eq!(decode(b"\x82", Some(Charset::ShiftJis)), Err(NotText));
    }

    #[test]
    fn rows_are_numbered_as_a_spreadsheet_shows_them_and_blank_ones_skipped() {
        let s = sheet("a,b\n1,2\n,\n\"x\nwrapped\",3\n4\n  ,  \n").unwrap();
        assert_eq!(&s.header, &StringRecord::from(vec!["a", "b"]));
        let rows: Vec<(u32, Vec<String>)> = s
            .map(|(row, r)| (row, r.unwrap().iter().map(str::to_owned).collect()))
            .collect();
        assert_eq!(
            rows,
            vec![
                (2, vec!["1".into(), "2".into()]),
                (4, vec!["x\nwrapped".into(), "3".into()]),
                (5, vec!["4".into()]),
            ]
        );
        assert!(sheet("").is_none());
    }
}
