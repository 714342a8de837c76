//! The HTTP layer's own refusals of a request, before any use case reads it: a method the
//! path does not take, a body too large, a media type not read. They are HTTP's, not the
//! domain's; `ApiError` is what a handler answers with besides success: either kind.

use mynumber_domain::VaultError;
use mynumber_domain::audit::{Outcome, Reason};
use mynumber_domain::usecase::Refusal;

macro_rules! transport_errors {
    ($($variant:ident = $code:literal, $status:literal, $title:literal;)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
        pub enum TransportError {
            $(#[error($title)] $variant,)+
        }

        impl TransportError {
            pub const ALL: &'static [TransportError] = &[$(TransportError::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $(TransportError::$variant => $code,)+ }
            }

            pub fn status(self) -> u16 {
                match self { $(TransportError::$variant => $status,)+ }
            }

            pub fn title(self) -> &'static str {
                match self { $(TransportError::$variant => $title,)+ }
            }
        }
    };
}

transport_errors! {
    MethodNotAllowed = "method_not_allowed", 405, "This method is not allowed on this resource.";
    PayloadTooLarge = "payload_too_large", 413,
        "The request body is larger than this route accepts (16 KiB; an import 6 MB).";
    UnsupportedMediaType = "unsupported_media_type", 415,
        "Send the body in the media type this route reads (application/json; an import text/csv).";
}

/// A refusal of the request itself is an invalid request, with its own reason.
impl Refusal for TransportError {
    fn outcome(&self) -> Outcome {
        Outcome::Invalid
    }

    fn reason(&self) -> Reason {
        Reason::parse(self.code()).expect("every transport code is an audit reason")
    }
}

/// What a handler answers with besides success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Vault(e) => e.code(),
            ApiError::Transport(e) => e.code(),
        }
    }
}

impl Refusal for ApiError {
    fn outcome(&self) -> Outcome {
        match self {
            ApiError::Vault(e) => e.outcome(),
            ApiError::Transport(e) => e.outcome(),
        }
    }

    fn reason(&self) -> Reason {
        match self {
            ApiError::Vault(e) => e.reason(),
            ApiError::Transport(e) => e.reason(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_codes_are_audit_reasons_and_no_domain_error_s() {
        for t in TransportError::ALL {
            assert_eq!(t.reason().code(), t.code());
            assert!(
                mynumber_domain::error::ErrorCode::ALL
                    .iter()
                    .all(|c| c.code() != t.code()),
                "{t:?}"
            );
            assert!((400..500).contains(&t.status()));
        }
    }
}
