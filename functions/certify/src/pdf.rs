//! The certificate as a Japanese A4 PDF (SPEC §4e): the font embedded as a CID font and
//! subset to the glyphs the document uses, text laid out here (Japanese needs no shaping:
//! one glyph per character), the table broken across pages with its header repeated.
//! Written with `pdf-writer` and `subsetter` (the crates krilla is built on) rather than
//! krilla, whose outline, hinting and variable-font code cost 0.44 MB of the function's zip
//! (7.06 MB with krilla, 6.62 MB without; the font takes 4.27 MB of either).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate};
use mynumber_domain::certificate::{Certificate, CertifiedDisposal, date_ja};
use mynumber_domain::disposal::{DisposalReason, Disposer};
use mynumber_domain::record::RelationKind;
use mynumber_domain::retention::jst;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Name, Pdf, Rect, Ref, Str, TextStr};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::{GlyphMetrics, Metrics};
use skrifa::{FontRef, MetadataProvider};
use subsetter::GlyphRemapper;

/// IPAゴシック (IPA Font License v1.0; see build.rs).
static FONT: &[u8] = include_bytes!(env!("CERTIFICATE_FONT_PATH"));
/// The font's name in the PDF; a subset's carries a tag (see `subset_tag`).
const FONT_NAME: &str = "IPAGothic";
/// The font's resource name on every page.
const F1: Name = Name(b"F1");

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

/// The font's character map and advances, read once, and the glyphs the document used so
/// far: their ids in the subset (the CIDs the text is written with), the character each
/// stands for (the text stays searchable and extractable) and its advance.
struct Typeface {
    font: FontRef<'static>,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    used: GlyphRemapper,
    /// Subset glyph id → (character, advance in thousandths of an em).
    glyphs: BTreeMap<u16, (char, f32)>,
}

impl Typeface {
    fn new() -> Self {
        let font = FontRef::new(FONT).expect("the compiled-in font parses");
        let units_per_em = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        Typeface {
            font: font.clone(),
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em,
            used: GlyphRemapper::new(),
            glyphs: BTreeMap::new(),
        }
    }

    /// The font's glyph for `c` (0, .notdef, when it has none) and its advance in ems.
    fn glyph(&self, c: char) -> (u16, f32) {
        let id = self.charmap.map(c).unwrap_or_default();
        let advance = self.metrics.advance_width(id).unwrap_or(0.0) / self.units_per_em;
        (u16::try_from(id.to_u32()).unwrap_or(0), advance)
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }

    /// `text` with its baseline's left end at (x, y); y grows downwards.
    fn draw(&mut self, page: &mut Content, x: f32, y: f32, size: f32, text: &str) {
        let mut cids = Vec::with_capacity(2 * text.len());
        for c in text.chars() {
            let (id, advance) = self.glyph(c);
            let cid = self.used.remap(id);
            self.glyphs.entry(cid).or_insert((c, advance * 1000.0));
            cids.extend(cid.to_be_bytes());
        }
        page.begin_text();
        page.set_font(F1, size);
        page.set_text_matrix([1.0, 0.0, 0.0, 1.0, x, HEIGHT - y]);
        page.show(Str(&cids));
        page.end_text();
    }

    /// Lines no wider than `width`; Japanese may break between any two characters, so a
    /// greedy fill does (a line never starts with 、 or 。: it takes them with it).
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut used = 0.0;
        for c in text.chars() {
            let w = self.glyph(c).1 * size;
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

fn rule(page: &mut Content, x0: f32, x1: f32, y: f32, width: f32) {
    page.set_line_width(width);
    page.move_to(x0, HEIGHT - y);
    page.line_to(x1, HEIGHT - y);
    page.stroke();
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

fn table_row(t: &mut Typeface, s: &mut Content, y: f32, cells: &[String; 7], weight: f32) {
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
    let mut t = Typeface::new();
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

    let mut contents = Vec::with_capacity(page_count);
    for (n, (top, range)) in pages.into_iter().enumerate() {
        let last = n + 1 == page_count;
        let mut s = Content::new();
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
            table_row(&mut t, &mut s, top, &header, 0.8);
            if rows == 0 {
                let none = "該当する削除の記録はありません。".to_owned();
                t.draw(&mut s, MARGIN + 2.0, top + 2.0 * ROW - 4.5, CELL, &none);
                rule(&mut s, MARGIN, MARGIN + TABLE_WIDTH, top + 2.0 * ROW, 0.3);
            }
            for (i, d) in c.disposals[range].iter().enumerate() {
                table_row(&mut t, &mut s, top + ROW * (i + 1) as f32, &cells(d), 0.3);
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
        contents.push(s.finish());
    }
    write(&t, &contents, &h.certificate_id.to_string())
}

/// The document: the pages' contents, and the font subset to the glyphs they use.
fn write(t: &Typeface, contents: &[pdf_writer::Buf], certificate_id: &str) -> Vec<u8> {
    let mut ids = Ref::new(1);
    let (catalog, tree, info) = (ids.bump(), ids.bump(), ids.bump());
    let (type0, cid_font, descriptor, font_file, to_unicode) =
        (ids.bump(), ids.bump(), ids.bump(), ids.bump(), ids.bump());
    let pages: Vec<(Ref, Ref)> = contents.iter().map(|_| (ids.bump(), ids.bump())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.document_info(info)
        .title(TextStr("個人番号削除証明書"))
        .subject(TextStr(certificate_id))
        .creator(TextStr("mynumber-vault"));
    let mut tree_writer = pdf.pages(tree);
    tree_writer
        .kids(pages.iter().map(|(page, _)| *page))
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    tree_writer.resources().fonts().pair(F1, type0);
    drop(tree_writer);
    for ((page, content), bytes) in pages.iter().zip(contents) {
        pdf.page(*page)
            .media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT))
            .parent(tree)
            .contents(*content);
        pdf.stream(*content, &deflate(bytes))
            .filter(Filter::FlateDecode);
    }

    let font = &t.font;
    let name = format!("{}+{FONT_NAME}", subset_tag(&t.used));
    let name = Name(name.as_bytes());
    let system = || SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0)
        .base_font(name)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_font)
        .to_unicode(to_unicode);
    let mut cid = pdf.cid_font(cid_font);
    cid.subtype(CidFontType::Type2)
        .base_font(name)
        .system_info(system())
        .font_descriptor(descriptor)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    // CIDs are the subset's glyph ids, 0 to the last one used.
    let last = t.glyphs.keys().next_back().copied().unwrap_or(0);
    cid.widths().consecutive(
        0,
        (0..=last).map(|cid| t.glyphs.get(&cid).map_or(0.0, |g| g.1)),
    );
    drop(cid);

    let em = 1000.0 / t.units_per_em;
    let metrics: Metrics = font.metrics(Size::unscaled(), LocationRef::default());
    let bounds = metrics.bounds.unwrap_or_default();
    pdf.font_descriptor(descriptor)
        .name(name)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            bounds.x_min * em,
            bounds.y_min * em,
            bounds.x_max * em,
            bounds.y_max * em,
        ))
        .italic_angle(0.0)
        .ascent(metrics.ascent * em)
        .descent(metrics.descent * em)
        .cap_height(metrics.cap_height.unwrap_or(metrics.ascent) * em)
        .stem_v(80.0)
        .font_file2(font_file);
    let subset =
        subsetter::subset(FONT, 0, &t.used).expect("the compiled-in TrueType font subsets");
    pdf.stream(font_file, &deflate(&subset))
        .filter(Filter::FlateDecode);

    let mut cmap = UnicodeCmap::new(Name(b"Custom"), system());
    for (cid, (c, _)) in &t.glyphs {
        cmap.pair(*cid, *c);
    }
    pdf.cmap(to_unicode, &cmap.finish());
    pdf.finish()
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(bytes, 6)
}

/// Six capital letters that name the subset (PDF 32000-1 §9.6.4), the same for the same
/// glyphs, so that the same certificate renders to the same bytes.
fn subset_tag(glyphs: &GlyphRemapper) -> String {
    // FNV-1a over the original glyph ids, in the subset's order.
    let mut hash: u32 = 0x811c_9dc5;
    for id in glyphs.remapped_gids() {
        for byte in id.to_be_bytes() {
            hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8))
        .collect()
}
