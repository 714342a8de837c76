//! The messages' wording: each kind one template of plain text with `{placeholders}`, the
//! HTML alternative derived from the text (escaped, paragraphs, the link made clickable),
//! so that a tenant's own wording later replaces a template and nothing else. No image, no
//! tracking, no external resource.

use super::{EmailAddress, Received, SenderName};
use crate::ids::EmployeeId;
use crate::purpose::PurposeSet;
use chrono::{DateTime, Utc};

/// One message, ready for the mailer.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    pub to: EmailAddress,
    /// The display name the message is sent under; the address is the deployment's.
    pub sender: SenderName,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for Email {
    /// The subject only: the body may hold the employee's link.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// A template: a subject and a body of plain text with `{name}` placeholders.
pub struct Template {
    pub subject: &'static str,
    pub body: &'static str,
}

pub const LINK: Template = Template {
    subject: "【{sender}】マイナンバー（個人番号）のご提出のお願い（{deadline}まで）",
    body: "{employee_id} 様

{sender}です。
次の手続きのため、マイナンバー（個人番号）のご提出をお願いします。

手続き：{purposes}
ご提出いただくもの：{scope}
期限：{deadline}（日本時間）

次のリンクを開き、画面の案内に沿って入力してください。スマートフォンからも提出できます。
{link}

このリンクはあなた専用です。他の人に転送しないでください。
期限を過ぎるとリンクは使えなくなります。その場合は{sender}にお問い合わせください。
このメールに返信して番号を送らないでください。",
};

pub const REMINDER: Template = Template {
    subject: "【{sender}】再送：マイナンバー（個人番号）のご提出のお願い（{deadline}まで）",
    body: "{employee_id} 様

{sender}です。
マイナンバー（個人番号）のご提出がまだ確認できていません。お手数ですが、期限までにご提出をお願いします。

手続き：{purposes}
ご提出いただくもの：{scope}
期限：{deadline}（日本時間）

次のリンクを開き、画面の案内に沿って入力してください。以前のメールのリンクも期限まで使えます。
{link}

このリンクはあなた専用です。他の人に転送しないでください。
すでにご提出済みの場合は、このメールと行き違いになりました。ご容赦ください。
このメールに返信して番号を送らないでください。",
};

pub const RECEIPT: Template = Template {
    subject: "【{sender}】マイナンバー（個人番号）のご提出を受け付けました",
    body: "{employee_id} 様

{sender}です。
マイナンバー（個人番号）のご提出を受け付けました（{submitted_at} 日本時間）。

受け付けた内容：
{received}

今後の流れ：
{next}

このメールには番号を記載していません。ご提出に使ったリンクはもう使えません。
内容に誤りがあった場合や、変更がある場合は{sender}にお問い合わせください。
このメールに返信して番号を送らないでください。",
};

pub const REVIEW_NOTICE: Template = Template {
    subject: "【マイナンバー管理】確認待ちの提出が{count}件あります",
    body: "{sender} ご担当者様

従業員からのマイナンバーの提出が{count}件、確認を待っています（最も古いもの：{oldest} 日本時間）。

従業員番号：{employees}

コンソールの「提出の確認」で、本人確認書類と番号を確認してください。
{link}

このお知らせは1時間に1回までお送りします。このメールには番号を記載していません。",
};

/// The link mail and the reminder: what is asked, of whom, by when, and the link.
pub struct LinkMail<'a> {
    pub to: &'a EmailAddress,
    pub sender: &'a SenderName,
    pub employee_id: &'a EmployeeId,
    pub purposes: &'a PurposeSet,
    pub include_family: bool,
    pub expires_at: DateTime<Utc>,
    pub url: &'a str,
}

impl LinkMail<'_> {
    pub fn render(&self, template: &Template) -> Email {
        let purposes: Vec<&str> = self.purposes.iter().map(|p| p.label_ja()).collect();
        let scope = if self.include_family {
            "ご本人と、配偶者・扶養親族の番号"
        } else {
            "ご本人の番号"
        };
        let values = [
            ("sender", self.sender.as_str()),
            ("employee_id", self.employee_id.as_str()),
            ("purposes", &purposes.join("、")),
            ("scope", scope),
            ("deadline", &jst(self.expires_at)),
            ("link", self.url),
        ];
        render(self.to, self.sender, template, &values, self.url)
    }
}

/// The receipt after a submission: what arrived and what happens next.
pub struct ReceiptMail<'a> {
    pub to: &'a EmailAddress,
    pub sender: &'a SenderName,
    pub employee_id: &'a EmployeeId,
    pub received: &'a Received,
    pub submitted_at: DateTime<Utc>,
}

impl ReceiptMail<'_> {
    pub fn render(&self) -> Email {
        let r = self.received;
        let mut lines = vec![if r.own_number {
            "・ご本人の番号".to_owned()
        } else {
            "・ご本人：番号の提供をお断りされた旨".to_owned()
        }];
        if r.spouse {
            lines.push("・配偶者の番号".to_owned());
        }
        if r.dependents > 0 {
            lines.push(format!("・扶養親族の番号：{}名", r.dependents));
        }
        if r.photos > 0 {
            lines.push(format!("・本人確認書類の写真：{}枚", r.photos));
        }
        let next = if r.own_number || r.spouse || r.dependents > 0 {
            "担当者が番号と本人確認書類を確認します。確認に必要なことがあれば、担当者からご連絡します。"
        } else {
            "お断りの旨を記録しました。必要があれば、担当者からご連絡します。"
        };
        let values = [
            ("sender", self.sender.as_str()),
            ("employee_id", self.employee_id.as_str()),
            ("submitted_at", &jst(self.submitted_at)),
            ("received", &lines.join("\n")),
            ("next", next),
        ];
        render(self.to, self.sender, &RECEIPT, &values, "")
    }
}

/// HR's notice that submissions await review: how many, since when, whose.
pub struct ReviewNoticeMail<'a> {
    pub to: &'a EmailAddress,
    pub sender: &'a SenderName,
    pub employees: &'a [EmployeeId],
    pub oldest: DateTime<Utc>,
    /// The console's review page.
    pub url: &'a str,
}

impl ReviewNoticeMail<'_> {
    pub fn render(&self) -> Email {
        let ids: Vec<&str> = self.employees.iter().map(EmployeeId::as_str).collect();
        let values = [
            ("sender", self.sender.as_str()),
            ("count", &self.employees.len().to_string()),
            ("oldest", &jst(self.oldest)),
            ("employees", &ids.join("、")),
            ("link", self.url),
        ];
        render(self.to, self.sender, &REVIEW_NOTICE, &values, self.url)
    }
}

/// A template filled with `values`: the text, its HTML alternative (with `link`, when not
/// empty, the one anchor), to `to` under `sender`.
pub fn render(
    to: &EmailAddress,
    sender: &SenderName,
    template: &Template,
    values: &[(&str, &str)],
    link: &str,
) -> Email {
    let subject = fill(template.subject, values);
    let text = fill(template.body, values);
    Email {
        to: to.clone(),
        sender: sender.clone(),
        html: html(&subject, &text, link),
        subject,
        text,
    }
}

/// `2026年12月21日 18:00`, in JST.
pub fn jst(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::retention::jst())
        .format("%Y年%-m月%-d日 %H:%M")
        .to_string()
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The text as a minimal HTML document: every line escaped, blank lines as paragraph
/// breaks, the link (and only the link) clickable. No style sheet, image or script.
fn html(subject: &str, text: &str, link: &str) -> String {
    let mut body = String::new();
    for para in text.split("\n\n") {
        let lines: Vec<String> = para
            .lines()
            .map(|l| {
                if !link.is_empty() && l.trim() == link {
                    let href = escape(link);
                    format!("<a href=\"{href}\">{href}</a>")
                } else {
                    escape(l)
                }
            })
            .collect();
        body.push_str(&format!("<p>{}</p>\n", lines.join("<br>\n")));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{body}</body></html>\n",
        escape(subject)
    )
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purpose::Purpose;

    #[test]
    fn the_link_mail_says_who_asks_what_by_when_and_how() {
        let to = EmailAddress::parse("taro@example.co.jp").unwrap();
        let sender = SenderName::parse("サンプル&Co. 人事部").unwrap();
        let employee = EmployeeId::parse("E001").unwrap();
        let purposes = PurposeSet::new([Purpose::WithholdingTax]).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-12-21T09:00:00Z")
            .unwrap()
            .to_utc();
        let url = "https://vault.example.jp/collect#tok_abc";
        let mail = LinkMail {
            to: &to,
            sender: &sender,
            employee_id: &employee,
            purposes: &purposes,
            include_family: true,
            expires_at: at,
            url,
        }
        .render(&LINK);
        assert_eq!(
            mail.subject,
            "【サンプル&Co. 人事部】マイナンバー（個人番号）のご提出のお願い（2026年12月21日 18:00まで）"
        );
        for part in [
            "E001 様",
            "源泉徴収票",
            "配偶者・扶養親族",
            "2026年12月21日 18:00（日本時間）",
            url,
        ] {
            assert!(mail.text.contains(part), "{part} missing from the text");
        }
        assert!(
            !mail.text.contains('{'),
            "a placeholder left: {}",
            mail.text
        );
        assert!(mail.html.contains("サンプル&amp;Co. 人事部"));
        assert!(mail.html.contains(&format!("<a href=\"{url}\">{url}</a>")));
        assert!(!mail.html.contains("<img") && !mail.html.contains("<script"));
        assert!(!format!("{mail:?}").contains("tok_abc"));
    }

    #[test]
    fn the_receipt_says_what_arrived_and_holds_no_link() {
        let to = EmailAddress::parse("taro@example.co.jp").unwrap();
        let sender = SenderName::parse("人事部").unwrap();
        let employee = EmployeeId::parse("E001").unwrap();
        let at = DateTime::parse_from_rfc3339("2026-12-07T01:30:00Z")
            .unwrap()
            .to_utc();
        let received = Received {
            own_number: true,
            spouse: true,
            dependents: 2,
            photos: 1,
        };
        let mail = ReceiptMail {
            to: &to,
            sender: &sender,
            employee_id: &employee,
            received: &received,
            submitted_at: at,
        }
        .render();
        for part in [
            "E001 様",
            "2026年12月7日 10:30",
            "・ご本人の番号",
            "・配偶者の番号",
            "・扶養親族の番号：2名",
            "・本人確認書類の写真：1枚",
            "担当者が番号と本人確認書類を確認します",
        ] {
            assert!(
                mail.text.contains(part),
                "{part} missing from {}",
                mail.text
            );
        }
        assert!(!mail.text.contains('{') && !mail.html.contains("<a "));
        let refusal = Received {
            own_number: false,
            spouse: false,
            dependents: 0,
            photos: 0,
        };
        let mail = ReceiptMail {
            received: &refusal,
            to: &to,
            sender: &sender,
            employee_id: &employee,
            submitted_at: at,
        }
        .render();
        assert!(mail.text.contains("お断りされた旨") && !mail.text.contains("配偶者"));
    }

    #[test]
    fn the_review_notice_counts_and_names_the_employees() {
        let to = EmailAddress::parse("hr@example.co.jp").unwrap();
        let sender = SenderName::parse("人事部").unwrap();
        let employees = [
            EmployeeId::parse("E001").unwrap(),
            EmployeeId::parse("E002").unwrap(),
        ];
        let at = DateTime::parse_from_rfc3339("2026-12-07T01:30:00Z")
            .unwrap()
            .to_utc();
        let url = "https://vault.example.jp/console#/review";
        let mail = ReviewNoticeMail {
            to: &to,
            sender: &sender,
            employees: &employees,
            oldest: at,
            url,
        }
        .render();
        assert_eq!(
            mail.subject,
            "【マイナンバー管理】確認待ちの提出が2件あります"
        );
        assert!(mail.text.contains("E001、E002") && mail.text.contains(url));
        assert!(mail.html.contains(&format!("<a href=\"{url}\">")));
    }
}
