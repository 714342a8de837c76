//! The CSV file read once and cut into requests the API accepts (SPEC §4b: at most 1,000
//! rows and 6 MB a request). Rows keep their place in the file, so a failure is reported
//! at the row a spreadsheet shows; cells are copied as they are, never interpreted here:
//! the API applies one intake's rules to every row.

use mynumber_domain::import::{COLUMNS, MAX_ROWS, column_of};
use mynumber_domain::number::holds_digit_run;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use zeroize::Zeroizing;

/// Bytes one request may carry: under the API's 6 MB, with room for its headers.
pub const MAX_BATCH_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileError {
    #[error("the file is neither UTF-8 nor Shift_JIS text")]
    Encoding,
    #[error("the file has no header row")]
    NoHeader,
    #[error("the file has no data rows")]
    NoRows,
    #[error("row {0} is not readable CSV")]
    Csv(u32),
    #[error("row {0} alone is larger than one request may be")]
    RowTooLarge(u32),
}

/// One request's body (UTF-8 CSV, the header first) and the file row of each data row.
pub struct Batch {
    pub body: Zeroizing<Vec<u8>>,
    pub rows: Vec<u32>,
}

/// Who a row is about, as the file says: what a report names besides the row number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowWho {
    pub employee_id: String,
    pub relation: String,
    pub dependent_label: String,
}

pub struct ImportFile {
    /// SHA-256 of the file's bytes: a run resumes only the file it started.
    pub digest: String,
    pub batches: Vec<Batch>,
    who: HashMap<u32, RowWho>,
}

impl ImportFile {
    /// Reads `bytes` (UTF-8 with or without a BOM, or Shift_JIS) into batches of at most
    /// `batch_rows` rows (1–1,000).
    pub fn read(bytes: &[u8], batch_rows: usize) -> Result<ImportFile, FileError> {
        let batch_rows = batch_rows.clamp(1, MAX_ROWS);
        let digest = hex(&Sha256::digest(bytes));
        let text = mynumber_sheet::decode(bytes, None).map_err(|_| FileError::Encoding)?;
        let sheet = mynumber_sheet::sheet(&text).ok_or(FileError::NoHeader)?;
        let header = sheet.header.clone();
        let header_line = line(&header);
        let column = |name: &str| {
            let wanted = COLUMNS.iter().position(|c| *c == name);
            header.iter().position(|h| column_of(h) == wanted)
        };
        let (employee, relation, label) = (
            column("employee_id"),
            column("relation"),
            column("dependent_label"),
        );
        let cell = |r: &csv::StringRecord, c: Option<usize>| {
            let v = c.and_then(|i| r.get(i)).unwrap_or_default().trim();
            // A number typed into the wrong column is never repeated in a report.
            if holds_digit_run(v) {
                "(hidden)".to_owned()
            } else {
                v.to_owned()
            }
        };

        let mut batches = Vec::new();
        let mut who = HashMap::new();
        let mut body = Zeroizing::new(header_line.to_vec());
        let mut rows = Vec::new();
        for (row, record) in sheet {
            let record = record.map_err(|_| FileError::Csv(row))?;
            let data = line(&record);
            if header_line.len() + data.len() > MAX_BATCH_BYTES {
                return Err(FileError::RowTooLarge(row));
            }
            if rows.len() == batch_rows || body.len() + data.len() > MAX_BATCH_BYTES {
                batches.push(Batch {
                    body: std::mem::replace(&mut body, Zeroizing::new(header_line.to_vec())),
                    rows: std::mem::take(&mut rows),
                });
            }
            body.extend_from_slice(&data);
            rows.push(row);
            who.insert(
                row,
                RowWho {
                    employee_id: cell(&record, employee),
                    relation: cell(&record, relation),
                    dependent_label: cell(&record, label),
                },
            );
        }
        if !rows.is_empty() {
            batches.push(Batch { body, rows });
        }
        if batches.is_empty() {
            return Err(FileError::NoRows);
        }
        Ok(ImportFile {
            digest,
            batches,
            who,
        })
    }

    pub fn rows(&self) -> usize {
        self.batches.iter().map(|b| b.rows.len()).sum()
    }

    pub fn who(&self, row: u32) -> RowWho {
        self.who.get(&row).cloned().unwrap_or_default()
    }
}

/// One record as a CSV line, quoted where it must be.
fn line(record: &csv::StringRecord) -> Zeroizing<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(record).expect("writing to memory");
    Zeroizing::new(w.into_inner().expect("writing to memory"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "社員番号,区分,続柄,マイナンバー,利用目的,番号確認,身元確認,確認日\n";

    fn row(e: &str) -> String {
        format!("{e},本人,,123456789018,源泉徴収,個人番号カード,個人番号カード,2026/04/01\n")
    }

    #[test]
    fn rows_are_cut_into_batches_that_keep_their_file_rows() {
        let mut text = HEADER.to_owned();
        for i in 0..5 {
            text.push_str(&row(&format!("E{i}")));
            if i == 2 {
                text.push_str(",,,,,,,\n"); // a blank line a spreadsheet left
            }
        }
        let f = ImportFile::read(text.as_bytes(), 2).unwrap();
        let rows: Vec<_> = f.batches.iter().map(|b| b.rows.clone()).collect();
        assert_eq!(rows, vec![vec![2, 3], vec![4, 6], vec![7]]);
        assert_eq!(f.rows(), 5);
        for b in &f.batches {
            let body = std::str::from_utf8(&b.body).unwrap();
            assert!(
                body.starts_with("社員番号,区分"),
                "each request has the header"
            );
            assert_eq!(body.lines().count(), b.rows.len() + 1);
        }
        assert_eq!(f.who(6).employee_id, "E3");
        assert_eq!(f.who(6).relation, "本人");
    }

    #[test]
    fn shift_jis_and_a_bom_are_read_and_sent_as_utf8() {
        let text = format!("{HEADER}{}", row("E1"));
        let (sjis, _, bad) = encoding_rs::SHIFT_JIS.encode(&text);
        assert!(!bad);
        let a = ImportFile::read(&sjis, 10).unwrap();
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let b = ImportFile::read(&bom, 10).unwrap();
        assert_eq!(*a.batches[0].body, *b.batches[0].body);
        assert!(std::str::from_utf8(&a.batches[0].body).is_ok());
        assert_ne!(a.digest, b.digest, "the digest is of the file as it is");
    }

    #[test]
    fn a_number_in_a_named_column_is_hidden_and_bytes_cut_batches() {
        let text = format!("{HEADER}{}", row("123456789018"));
        let f = ImportFile::read(text.as_bytes(), 10).unwrap();
        assert_eq!(f.who(2).employee_id, "(hidden)");

        let big = format!("E1,本人,,{},源泉徴収,a,b,c\n", "x".repeat(3 * 1024 * 1024));
        let text = format!("{HEADER}{big}{big}");
        let f = ImportFile::read(text.as_bytes(), 1000).unwrap();
        assert_eq!(f.batches.len(), 2, "two rows of 3 MB need two requests");
    }

    #[test]
    fn unreadable_files_are_refused() {
        assert_eq!(
            ImportFile::read(b"\xff\xfe\xfd", 10).err(),
            Some(FileError::Encoding)
        );
        assert_eq!(
            ImportFile::read(HEADER.as_bytes(), 10).err(),
            Some(FileError::NoRows)
        );
        assert_eq!(ImportFile::read(b"", 10).err(), Some(FileError::NoHeader));
    }
}
