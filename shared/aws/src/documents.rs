//! Document photos in S3 behind the domain's object ports: presigned PUTs bound to their
//! content type and length, HEAD to see what arrived, presigned GETs that tell every cache
//! not to keep the object, and deletes. Which of these a function holds is its role's
//! business (`collect`: upload, inspect, delete; review: view, delete; purge: delete).

use crate::describe;
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use mynumber_domain::document::{DocumentType, ObjectKey, SignedUrl, StoredObject, UPLOAD_SECONDS};
use mynumber_domain::ports::{DocumentErasure, DocumentUploads, DocumentViews, Unavailable};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone)]
pub struct S3Documents {
    sdk: aws_types::SdkConfig,
    emulated: bool,
    /// Built on first use: most of the requests of the functions that hold it (the form's
    /// page, a listing) never touch a photo, and building an S3 client (its endpoint rules,
    /// presigning and checksum set-up) is a measurable part of a cold start.
    client: std::sync::OnceLock<Client>,
    bucket: String,
}

impl S3Documents {
    /// A client on `config`; an emulator (`endpoint_url`) is addressed path-style, as it
    /// has no per-bucket host names.
    pub fn new(config: &aws_types::SdkConfig, bucket: impl Into<String>, emulated: bool) -> Self {
        S3Documents {
            sdk: config.clone(),
            emulated,
            client: std::sync::OnceLock::new(),
            bucket: bucket.into(),
        }
    }

    fn client(&self) -> &Client {
        self.client.get_or_init(|| {
            let s3 = aws_sdk_s3::config::Builder::from(&self.sdk)
                .force_path_style(self.emulated)
                .build();
            Client::from_conf(s3)
        })
    }

    /// The origin presigned URLs point at: the page's `connect-src` must allow it.
    pub fn origin(
        config: &aws_types::SdkConfig,
        bucket: &str,
        endpoint_url: Option<&str>,
    ) -> String {
        match endpoint_url {
            Some(url) => {
                let url = url.trim_end_matches('/');
                // scheme://host[:port] of the emulator's URL.
                match url
                    .find("://")
                    .and_then(|i| url[i + 3..].find('/').map(|j| i + 3 + j))
                {
                    Some(end) => url[..end].to_owned(),
                    None => url.to_owned(),
                }
            }
            None => format!(
                "https://{bucket}.s3.{}.amazonaws.com",
                config.region().map_or("us-east-1", |r| r.as_ref())
            ),
        }
    }
}

fn presigning(seconds: u64) -> Result<PresigningConfig, Unavailable> {
    PresigningConfig::expires_in(Duration::from_secs(seconds))
        .map_err(|e| Unavailable(describe(&e)))
}

#[async_trait]
impl DocumentUploads for S3Documents {
    async fn presign_upload(
        &self,
        key: &ObjectKey,
        content_type: DocumentType,
        bytes: u64,
    ) -> Result<(SignedUrl, BTreeMap<String, String>), Unavailable> {
        let request = self
            .client()
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type.code())
            // Signed: S3 refuses a body of any other length.
            .content_length(i64::try_from(bytes).unwrap_or(i64::MAX))
            .presigned(presigning(UPLOAD_SECONDS)?)
            .await
            .map_err(|e| Unavailable(describe(&e)))?;
        // Browsers set Content-Length themselves (and may not be told to).
        let headers = request
            .headers()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("content-length"))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
            .collect();
        Ok((SignedUrl::new(request.uri().to_owned()), headers))
    }

    async fn inspect(&self, key: &ObjectKey) -> Result<Option<StoredObject>, Unavailable> {
        match self
            .client()
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
        {
            Ok(out) => Ok(Some(StoredObject {
                bytes: out.content_length().map_or(0, |n| n.max(0) as u64),
                content_type: out.content_type().map(str::to_owned),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            // Without s3:ListBucket (which would let the role list every key) S3 answers a
            // HEAD of a missing key with 403, not 404; the role may read every existing
            // object's metadata, so a 403 here means nothing was uploaded.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => Ok(None),
            Err(e) => Err(Unavailable(describe(&e))),
        }
    }
}

#[async_trait]
impl DocumentViews for S3Documents {
    async fn presign_view(&self, key: &ObjectKey, seconds: u64) -> Result<SignedUrl, Unavailable> {
        let request = self
            .client()
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            // No browser or proxy keeps a copy of an identity document.
            .response_cache_control("no-store")
            .presigned(presigning(seconds)?)
            .await
            .map_err(|e| Unavailable(describe(&e)))?;
        Ok(SignedUrl::new(request.uri().to_owned()))
    }
}

#[async_trait]
impl DocumentErasure for S3Documents {
    async fn delete_object(&self, key: &ObjectKey) -> Result<(), Unavailable> {
        self.client()
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Unavailable(describe(&e)))
    }
}
