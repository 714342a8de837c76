//! Email through Amazon SES (API v2): one `SendEmail` per message, from the deployment's
//! verified identity under the tenant's display name, with the configuration set whose
//! event destination reports bounces and complaints back.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use mynumber_domain::notification::{Email, MessageId};
use mynumber_domain::ports::{Mailer, NotSent};

pub struct SesMailer {
    client: Client,
    /// The verified identity's address (`MAIL_FROM`).
    from: String,
    /// `MAIL_CONFIGURATION_SET`, when bounces are reported back.
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(
        config: &aws_types::SdkConfig,
        from: impl Into<String>,
        configuration_set: Option<String>,
    ) -> Self {
        SesMailer {
            client: Client::new(config),
            from: from.into(),
            configuration_set,
        }
    }
}

/// `"=?UTF-8?B?…?=" <address>`: a display name outside ASCII, encoded for a header (RFC 2047).
fn from_header(name: &str, address: &str) -> String {
    let encoded = aws_smithy_types::base64::encode(name.as_bytes());
    format!("=?UTF-8?B?{encoded}?= <{address}>")
}

fn utf8(data: &str) -> Result<Content, NotSent> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| NotSent(e.to_string()))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<MessageId, NotSent> {
        let message = Message::builder()
            .subject(utf8(&email.subject)?)
            .body(
                Body::builder()
                    .text(utf8(&email.text)?)
                    .html(utf8(&email.html)?)
                    .build(),
            )
            .build();
        let out = self
            .client
            .send_email()
            .from_email_address(from_header(email.sender.as_str(), &self.from))
            .destination(
                Destination::builder()
                    .to_addresses(email.to.expose())
                    .build(),
            )
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            // The error's description names the service's reason, never the message.
            .map_err(|e| NotSent(crate::describe(&e)))?;
        out.message_id()
            .and_then(MessageId::parse)
            .ok_or_else(|| NotSent("SES answered without a message id".into()))
    }
}
