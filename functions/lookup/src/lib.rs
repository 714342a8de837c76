//! The lookup function: `GET /v1/records` lists an employee's records (never numbers);
//! `POST /v1/records/{record_id}/reveal` shows one number to a handler for a stated purpose;
//! `GET /v1/disposals` lists disposal records for auditors and registrars;
//! `/v1/exports…` asks for, approves, lists and downloads exports for filings (SPEC §4b);
//! `GET /v1/handling` reads the record of handling (取扱状況) back for auditors;
//! `GET /v1/summary` counts what the console's home page shows.

use lambda_http::{Body, Request, Response};
use mynumber_domain::FieldError;
use mynumber_domain::audit::AuditKind;
use mynumber_domain::export::{ExportFile, ExportId, ExportRequest};
use mynumber_domain::ids::IdRule;
use mynumber_domain::ids::Subject;
use mynumber_domain::lookup::{HandlingFilter, LookupService};
use mynumber_domain::ports::PageRequest;
use mynumber_domain::{Caller, EmployeeId, Purpose, RecordId, VaultError};
use mynumber_http::Authenticator;
use mynumber_http::{
    Api, ApiError, Fields, Route, attachment, json_object, json_response, json_value,
    page_response, parse_page, query_param,
};

/// What lookup does on each of its routes.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    List,
    Get,
    Reveal,
    Disposals,
    RequestExport,
    ListExports,
    ApproveExport,
    DownloadExport,
    Handling,
    Summary,
}

/// Lookup's routes: its router, its 405s and the tests' dispatch all read this.
pub const ROUTES: &[Route<Op>] = &[
    Route::new("GET", "/v1/records", Op::List),
    Route::new("GET", "/v1/records/{record_id}", Op::Get),
    Route::new("POST", "/v1/records/{record_id}/reveal", Op::Reveal),
    Route::new("GET", "/v1/disposals", Op::Disposals),
    Route::new("POST", "/v1/exports", Op::RequestExport),
    Route::new("GET", "/v1/exports", Op::ListExports),
    Route::new("POST", "/v1/exports/{export_id}/approve", Op::ApproveExport),
    Route::new("GET", "/v1/exports/{export_id}/file", Op::DownloadExport),
    Route::new("GET", "/v1/handling", Op::Handling),
    Route::new("GET", "/v1/summary", Op::Summary),
];

pub struct Lookup {
    vault: LookupService,
    auth: Authenticator,
}

impl Lookup {
    pub fn new(vault: LookupService, auth: Authenticator) -> Self {
        Lookup { vault, auth }
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        mynumber_http::handle(self, req).await
    }
}

impl Api for Lookup {
    type Op = Op;

    fn routes(&self) -> &'static [Route<Op>] {
        ROUTES
    }

    async fn caller(&self, req: &Request) -> Caller {
        self.auth.caller(req).await
    }

    async fn call(
        &self,
        op: Op,
        params: &[&str],
        req: &Request,
        caller: &Caller,
    ) -> Result<Response<Body>, ApiError> {
        match op {
            Op::List => self.list(req, caller).await,
            Op::Get => {
                let (auth, id) = self.vault.core().admit(caller, || {
                    RecordId::parse(params[0])
                        .map_err(|r| VaultError::invalid("record_id", r.code()))
                })?;
                Ok(json_value(200, &self.vault.get_record(auth, id).await?))
            }
            Op::Reveal => self.reveal(req, params[0], caller).await,
            Op::Disposals => self.disposals(req, caller).await,
            Op::RequestExport => {
                let (auth, input) = self.vault.core().admit(caller, || parse_export(req))?;
                let view = self.vault.request_export(auth, input).await?;
                Ok(json_value(201, &view))
            }
            Op::ListExports => {
                let (auth, page) = self.vault.core().admit(caller, || {
                    parse_page(req, false, &[], |_, _| ()).and_then(|(e, page, ())| match e {
                        Some(_) => Err(VaultError::invalid("employee_id", "unknown_field")),
                        None => Ok(page),
                    })
                })?;
                Ok(page_response(self.vault.list_exports(auth, page).await?))
            }
            Op::ApproveExport => {
                let (auth, input) = self.vault.core().admit(caller, || export_id(params[0]))?;
                let view = self.vault.approve_export(auth, input).await?;
                Ok(json_value(200, &view))
            }
            Op::DownloadExport => {
                let (auth, (input, format)) = self.vault.core().admit(caller, || {
                    Ok::<_, ApiError>((export_id(params[0])?, file_format(req)?))
                })?;
                let file = self.vault.download_export(auth, input).await?;
                Ok(match format {
                    FileFormat::Csv => csv_file(file),
                    FileFormat::Xlsx => xlsx_file(file),
                })
            }
            Op::Summary => {
                let (auth, ()) = self
                    .vault
                    .core()
                    .admit(caller, || mynumber_http::query(req, &[]).map(|_| ()))?;
                Ok(json_value(200, &self.vault.summary(auth).await?))
            }
            Op::Handling => {
                let (auth, input) = self.vault.core().admit(caller, || parse_handling(req))?;
                Ok(page_response(self.vault.list_handling(auth, input).await?))
            }
        }
    }
}

impl Lookup {
    async fn disposals(&self, req: &Request, caller: &Caller) -> Result<Response<Body>, ApiError> {
        let (auth, input) = self.vault.core().admit(caller, || {
            parse_page(req, false, &[], |_, _| ()).map(|(e, p, ())| (e, p))
        })?;
        let page = self.vault.list_disposals(auth, input).await?;
        Ok(page_response(page))
    }

    async fn list(&self, req: &Request, caller: &Caller) -> Result<Response<Body>, ApiError> {
        let (auth, input) = self.vault.core().admit(caller, || {
            parse_page(req, true, &[], |_, _| ()).and_then(|(employee, page, ())| {
                employee
                    .map(|e| (e, page))
                    .ok_or_else(|| VaultError::invalid("employee_id", "required"))
            })
        })?;
        let page = self.vault.list_records(auth, input).await?;
        Ok(page_response(page))
    }

    async fn reveal(
        &self,
        req: &Request,
        id: &str,
        caller: &Caller,
    ) -> Result<Response<Body>, ApiError> {
        let (auth, input) = self.vault.core().admit(caller, || parse_reveal(req, id))?;
        let revealed = self.vault.reveal(auth, input).await?;
        // Every value here is from a closed charset (UUID, digits, snake case), so the
        // body is written directly rather than through an intermediate JSON value.
        let body = format!(
            r#"{{"record_id":"{}","my_number":"{}","purpose":"{}"}}"#,
            revealed.record_id,
            revealed.number.expose_digits(),
            revealed.purpose.code()
        );
        Ok(json_response(200, body))
    }
}

fn parse_reveal(req: &Request, id: &str) -> Result<(RecordId, Purpose), ApiError> {
    let body = json_object(req)?;
    let mut f = Fields::new(&body, &["purpose"]);
    let record_id = RecordId::parse(id);
    if let Err(rule) = &record_id {
        f.fail("record_id", IdRule::code(*rule));
    }
    let purpose = f.parse("purpose", true, |s| Purpose::parse(s).ok_or("enum"));
    f.finish(record_id.ok().zip(purpose))
}

/// `from` and `to` (Japanese days, both included) and the optional `actor`, `purpose` and
/// `event` of `GET /v1/handling`, besides `employee_id`, `limit` and `cursor`.
fn parse_handling(req: &Request) -> Result<(HandlingFilter, PageRequest), VaultError> {
    let extra = ["from", "to", "actor", "purpose", "event"];
    let (employee, page, parsed) = parse_page(req, false, &extra, |q, errors| {
        let mut date = |field: &'static str| {
            if !q.contains_key(field) {
                errors.push(FieldError::new(field, "required"));
            }
            query_param(q, field, errors, mynumber_http::body::parse_date)
        };
        let (from, to) = (date("from"), date("to"));
        let actor = query_param(q, "actor", errors, |s| {
            Subject::parse(s).map_err(|rule| rule.code())
        });
        let purpose = query_param(q, "purpose", errors, |s| Purpose::parse(s).ok_or("enum"));
        let kind = query_param(q, "event", errors, |s| AuditKind::parse(s).ok_or("enum"));
        let mut filter = match (from, to) {
            (Some(from), Some(to)) => HandlingFilter::new(from, to)
                .map_err(|e| errors.push(e))
                .ok()?,
            _ => return None,
        };
        filter.actor = actor;
        filter.purpose = purpose;
        filter.kind = kind;
        Some(filter)
    })?;
    // Every field was valid, so the period was too.
    let mut filter = parsed.expect("a valid period");
    filter.employee = employee;
    Ok((filter, page))
}

fn export_id(id: &str) -> Result<ExportId, ApiError> {
    ExportId::parse(id).map_err(|rule| VaultError::invalid("export_id", rule.code()).into())
}

fn parse_export(req: &Request) -> Result<ExportRequest, ApiError> {
    let body = json_object(req)?;
    let mut f = Fields::new(&body, &["purpose", "employee_ids", "all"]);
    let purpose = f.parse("purpose", true, |s| Purpose::parse(s).ok_or("enum"));
    let all = f.bool("all");
    let employees = f.array("employee_ids", false).map(|ids| {
        ids.iter()
            .enumerate()
            .map(|(i, v)| match v.as_str().map(EmployeeId::parse) {
                Some(Ok(e)) => Ok(e),
                Some(Err(rule)) => Err((i, rule.code())),
                None => Err((i, "type")),
            })
            .collect::<Vec<_>>()
    });
    let employees = employees.map(|parsed| {
        let mut ok = Vec::with_capacity(parsed.len());
        for p in parsed {
            match p {
                Ok(e) => ok.push(e),
                Err((i, rule)) => f.fail(&format!("employee_ids[{i}]"), rule),
            }
        }
        ok
    });
    let request = match purpose {
        Some(p) if !f.has_errors() => match ExportRequest::new(p, employees, all) {
            Ok(r) => Some(r),
            Err(e) => return Err(VaultError::Invalid(vec![e]).into()),
        },
        _ => None,
    };
    f.finish(request)
}

/// The form an export's file is handed out in (`?format=`), chosen before the one download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileFormat {
    Csv,
    Xlsx,
}

fn file_format(req: &Request) -> Result<FileFormat, ApiError> {
    let q = mynumber_http::query(req, &["format"])?;
    match q.get("format").copied() {
        None | Some("csv") => Ok(FileFormat::Csv),
        Some("xlsx") => Ok(FileFormat::Xlsx),
        Some(_) => Err(VaultError::invalid("format", "enum").into()),
    }
}

/// The columns of an export's file, in both forms.
const FILE_COLUMNS: [&str; 4] = ["employee_id", "relation", "dependent_label", "my_number"];

/// The file as an Excel workbook: one sheet, the header row, and every cell a string typed
/// as text (`@`), so that Excel keeps all twelve digits and a leading zero, and a later
/// edit of the column stays text. A string cell is never a formula, so no cell needs the
/// CSV's neutralising quote.
fn xlsx_file(file: ExportFile) -> Response<Body> {
    use rust_xlsxwriter::{Format, Workbook};
    const WRITES: &str = "a workbook in memory takes every string";
    let text = Format::new().set_num_format("@");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("export").expect(WRITES);
    for (col, name) in (0u16..).zip(FILE_COLUMNS) {
        sheet.set_column_format(col, &text).expect(WRITES);
        sheet.write_string(0, col, name).expect(WRITES);
    }
    sheet.set_column_width(0, 14).expect(WRITES);
    sheet.set_column_width(3, 16).expect(WRITES);
    for (row, line) in (1u32..).zip(&file.lines) {
        let r = &line.record;
        let cells = [
            r.employee_id.as_str(),
            r.relation.kind().code(),
            r.relation.label().map(|l| l.as_str()).unwrap_or(""),
            line.number.expose_digits(),
        ];
        for (col, value) in (0u16..).zip(cells) {
            sheet
                .write_string_with_format(row, col, value, &text)
                .expect(WRITES);
        }
    }
    let bytes = book.save_to_buffer().expect(WRITES);
    attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("export-{}.xlsx", file.export_id),
        Body::Binary(bytes),
    )
}

/// The file: `employee_id,relation,dependent_label,my_number`, in employee order, never
/// cached, offered as a download named after the export.
fn csv_file(file: ExportFile) -> Response<Body> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(FILE_COLUMNS).expect("writes to memory");
    for line in &file.lines {
        let r = &line.record;
        w.write_record([
            // An id may begin with `-`, which a spreadsheet would read as a formula.
            &mynumber_domain::spreadsheet::cell(r.employee_id.as_str()),
            r.relation.kind().code(),
            // A label stored before labels were checked may look like a formula.
            &mynumber_domain::spreadsheet::cell(
                r.relation.label().map(|l| l.as_str()).unwrap_or(""),
            ),
            line.number.expose_digits(),
        ])
        .expect("writes to memory");
    }
    let body =
        String::from_utf8(w.into_inner().expect("writes to memory")).expect("every cell is UTF-8");
    attachment(
        "text/csv; charset=utf-8",
        &format!("export-{}.csv", file.export_id),
        Body::Text(body),
    )
}
