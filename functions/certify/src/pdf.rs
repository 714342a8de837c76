//! The certificate as a Japanese A4 PDF (SPEC §4e): the font embedded and subset (krilla
//! subsets it), text laid out here (Japanese needs no shaping: one glyph per character),
//! the table broken across pages with its header repeated.

use chrono::{DateTime, NaiveDate};
use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use mynumber_domain::certificate::{Certificate, CertifiedDisposal, date_ja};
use mynumber_domain::disposal::{DisposalReason, Disposer};
use mynumber_domain::record::RelationKind;
use mynumber_domain::retention::jst;
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

/// IPAゴシック (IPA Font License v1.0; see build.rs).
static FONT: &[u8] = include_bytes!(env!("CERTIFICATE_FONT_PATH"));

const WIDTH: f32 = 595.28; // A4, in points
const HEIGHT: f32 = 841.89;
const MARGIN: f32 = 48.0;
const ROW: f32 = 15.0;
const CELL: f32 = 7.5;
/// Where each column starts, and the table's right edge.
const COLUMNS: [(&str, f32); 7] = [
    ("従業員番号", 0.0),
    ("続柄", 72.0),
    ("扶養親族", 112.0),
    ("削除理由", 180.0),
    ("保存期限", 266.0),
    ("削除日時（日本時間）", 316.0),
    ("削除者", 414.0),
];
const TABLE_WIDTH: f32 = WIDTH - 2.0 * MARGIN;
/// The lower limit of the table on every page (the footer lies below).
const BOTTOM: f32 = HEIGHT - MARGIN - 12.0;
/// Room the closing block (total, signature, how to verify) takes after the table.
const CLOSING: f32 = 128.0;

/// The font as krilla embeds it, and its character map and advances, read once.
struct Typeface {
    pdf: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
}

impl Typeface {
    fn new() -> Self {
        let font = FontRef::new(FONT).expect("the compiled-in font parses");
        let units_per_em = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        Typeface {
            pdf: Font::new(FONT.into(), 0).expect("the compiled-in font loads"),
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em,
        }
    }

    /// One glyph per character, each mapped back to its character (the text stays
    /// searchable and extractable); advances in ems.
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let id = self.charmap.map(c).unwrap_or_default();
                let advance = self.metrics.advance_width(id).unwrap_or(0.0) / self.units_per_em;
                KrillaGlyph::new(
                    GlyphId::new(id.to_u32()),
                    advance,
                    0.0,
                    0.0,
                    0.0,
                    i..i + c.len_utf8(),
                    None,
                )
            })
            .collect()
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        self.glyphs(text).iter().map(|g| g.x_advance).sum::<f32>() * size
    }

    /// `text` with its baseline's left end at (x, y); y grows downwards.
    fn draw(&self, s: &mut Surface, x: f32, y: f32, size: f32, text: &str) {
        let glyphs = self.glyphs(text);
        s.draw_glyphs(
            Point::from_xy(x, y),
            &glyphs,
            self.pdf.clone(),
            text,
            size,
            false,
        );
    }

    /// Lines no wider than `width`; Japanese may break between any two characters, so a
    /// greedy fill does (a line never starts with 、 or 。: it takes them with it).
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut used = 0.0;
        for c in text.chars() {
            let w = self.width(c.encode_utf8(&mut [0; 4]), size);
            let closing = matches!(c, '、' | '。' | '）' | '」');
            if used + w > width && !line.is_empty() && !closing {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            line.push(c);
            used += w;
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// `text` cut to fit `width`, marked with … where cut.
    fn fit(&self, text: &str, size: f32, width: f32) -> String {
        if self.width(text, size) <= width {
            return text.to_owned();
        }
        let mut out = String::new();
        let room = width - self.width("…", size);
        for c in text.chars() {
            out.push(c);
            if self.width(&out, size) > room {
                out.pop();
                break;
            }
        }
        out.push('…');
        out
    }
}

fn rule(s: &mut Surface, x0: f32, x1: f32, y: f32, width: f32) {
    let mut path = PathBuilder::new();
    path.move_to(x0, y);
    path.line_to(x1, y);
    s.set_fill(None);
    s.set_stroke(Some(Stroke {
        width,
        ..Default::default()
    }));
    if let Some(path) = path.finish() {
        s.draw_path(&path);
    }
    // Text is filled black, never stroked.
    s.set_stroke(None);
    s.set_fill(Some(Default::default()));
}

/// `2026-12-07 10:30` in Japan, from a stored RFC 3339 time.
fn jst_minute(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&jst()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_owned())
}

fn jst_day(rfc3339: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.with_timezone(&jst()).date_naive())
}

fn disposer(by: &str) -> String {
    match Disposer::parse_stored(by) {
        Some(Disposer::Schedule) => "毎日の削除処理".to_owned(),
        Some(Disposer::DynamodbTtl) => "自動削除（TTL）".to_owned(),
        Some(Disposer::Principal(p)) => p.to_string(),
        None => by.to_owned(),
    }
}

fn cells(d: &CertifiedDisposal) -> [String; 7] {
    [
        d.employee_id.clone(),
        RelationKind::parse(&d.relation)
            .map(|r| r.label_ja().to_owned())
            .unwrap_or_else(|| d.relation.clone()),
        d.dependent_label.clone().unwrap_or_default(),
        DisposalReason::parse(&d.reason)
            .map(|r| r.label_ja().to_owned())
            .unwrap_or_else(|| d.reason.clone()),
        d.due_at
            .map(|d| d.to_string())
            .unwrap_or_else(|| "—".into()),
        jst_minute(&d.disposed_at),
        disposer(&d.disposed_by),
    ]
}

fn table_row(t: &Typeface, s: &mut Surface, y: f32, cells: &[String; 7], weight: f32) {
    for (i, text) in cells.iter().enumerate() {
        let start = COLUMNS[i].1;
        let end = COLUMNS.get(i + 1).map_or(TABLE_WIDTH, |c| c.1);
        let text = t.fit(text, CELL, end - start - 4.0);
        t.draw(s, MARGIN + start + 2.0, y + ROW - 4.5, CELL, &text);
    }
    rule(s, MARGIN, MARGIN + TABLE_WIDTH, y + ROW, weight);
}

/// The certificate's PDF.
pub fn render(c: &Certificate) -> Vec<u8> {
    let t = Typeface::new();
    let h = &c.summary;
    let statement = t.wrap(&c.statement, 9.5, TABLE_WIDTH);
    let mut facts: Vec<(String, String)> = vec![
        (
            "事業者".into(),
            c.tenant_name
                .clone()
                .unwrap_or_else(|| c.tenant_id.to_string()),
        ),
        (
            "対象期間".into(),
            format!("{} 〜 {}", date_ja(h.from), date_ja(h.to)),
        ),
    ];
    if let Some(e) = &h.employee_id {
        facts.push(("対象従業員".into(), e.to_string()));
    }
    facts.push(("削除件数".into(), format!("{}件", h.disposal_count)));
    if let Some(day) = c.backups_expire_by.as_deref().and_then(jst_day) {
        facts.push(("バックアップの最終消滅日".into(), date_ja(day)));
    }
    let issued = jst_day(&h.issued_at).map(date_ja).unwrap_or_default();
    facts.push(("発行日".into(), issued));
    facts.push(("証明書番号".into(), h.certificate_id.to_string()));

    // Where the table starts on the first page, then which rows each page holds.
    let first_top =
        MARGIN + 48.0 + facts.len() as f32 * 16.0 + 8.0 + statement.len() as f32 * 14.0 + 14.0;
    let mut pages: Vec<(f32, std::ops::Range<usize>)> = Vec::new();
    let rows = c.disposals.len();
    let (mut start, mut top) = (0, first_top);
    loop {
        let fit = (((BOTTOM - top) / ROW).floor() as usize).saturating_sub(1);
        let end = (start + fit).min(rows);
        pages.push((top, start..end));
        if end >= rows {
            break;
        }
        (start, top) = (end, MARGIN);
    }
    // The closing block goes under the last rows, or on a page of its own.
    let (last_top, last_range) = pages.last().cloned().expect("one page at least");
    let table_end = last_top + ROW * (last_range.len().max(1) + 1) as f32;
    let closing_top = if table_end + CLOSING <= BOTTOM {
        table_end
    } else {
        pages.push((MARGIN, rows..rows));
        MARGIN - 16.0
    };
    let page_count = pages.len();

    let mut doc = Document::new();
    let settings = || PageSettings::from_wh(WIDTH, HEIGHT).expect("A4");
    for (n, (top, range)) in pages.into_iter().enumerate() {
        let last = n + 1 == page_count;
        let mut page = doc.start_page_with(settings());
        let mut s = page.surface();
        if n == 0 {
            let title = "個人番号削除証明書";
            t.draw(
                &mut s,
                (WIDTH - t.width(title, 20.0)) / 2.0,
                MARGIN + 20.0,
                20.0,
                title,
            );
            let mut y = MARGIN + 48.0;
            for (label, value) in &facts {
                t.draw(&mut s, MARGIN, y, 9.5, label);
                t.draw(&mut s, MARGIN + 130.0, y, 9.5, value);
                y += 16.0;
            }
            y += 8.0;
            for line in &statement {
                t.draw(&mut s, MARGIN, y, 9.5, line);
                y += 14.0;
            }
        }
        // The table on every page with rows; an empty certificate's on its first page.
        if !range.is_empty() || (rows == 0 && n == 0) {
            rule(&mut s, MARGIN, MARGIN + TABLE_WIDTH, top, 0.8);
            let header = COLUMNS.map(|(name, _)| name.to_owned());
            table_row(&t, &mut s, top, &header, 0.8);
            if rows == 0 {
                let none = "該当する削除の記録はありません。".to_owned();
                t.draw(&mut s, MARGIN + 2.0, top + 2.0 * ROW - 4.5, CELL, &none);
                rule(&mut s, MARGIN, MARGIN + TABLE_WIDTH, top + 2.0 * ROW, 0.3);
            }
            for (i, d) in c.disposals[range].iter().enumerate() {
                table_row(&t, &mut s, top + ROW * (i + 1) as f32, &cells(d), 0.3);
            }
        }
        if last {
            let mut y = closing_top + 22.0;
            t.draw(
                &mut s,
                MARGIN,
                y,
                10.5,
                &format!("合計　{}件", c.disposals.len()),
            );
            y += 24.0;
            let lines = [
                format!("署名：ECDSA P-256 / SHA-256（AWS KMS の鍵 {}）", h.key_id),
                format!("公開鍵のフィンガープリント：{}", c.key_fingerprint),
                "検証の方法：この証明書の JSON（GET /v1/certificates/{証明書番号}）と公開鍵".into(),
                "（GET /v1/certificates/public-key）を取得し、次のコマンドで確かめられます。"
                    .into(),
                format!(
                    "mynumber-audit verify-certificate certificate-{}.json --public-key public-key.pem",
                    h.certificate_id
                ),
            ];
            for line in lines {
                let line = t.fit(&line, 7.5, TABLE_WIDTH);
                t.draw(&mut s, MARGIN, y, 7.5, &line);
                y += 13.0;
            }
        }
        let footer = format!("{}　{} / {} ページ", h.certificate_id, n + 1, page_count);
        t.draw(
            &mut s,
            (WIDTH - t.width(&footer, 7.5)) / 2.0,
            HEIGHT - MARGIN + 16.0,
            7.5,
            &footer,
        );
        s.finish();
        page.finish();
    }
    doc.finish()
        .expect("a document of text and rules is valid PDF")
}
