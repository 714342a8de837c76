//! One test's world: its table, keys and bucket on moto, and the real functions on them.

use crate::*;

/// Audit events as the functions write them (one JSON line each), into the capture and
/// into this stack's own list for assertions.
#[derive(Default)]
pub struct CaptureAudit(pub(crate) Mutex<Vec<Value>>);

/// Every event the functions emit in any test is held to the documented schema here.
impl AuditSink for CaptureAudit {
    fn emit(&self, event: &AuditEvent) {
        let line = serde_json::to_string(event).unwrap();
        schema::assert_audit_event(&serde_json::from_str(&line).unwrap());
        capture(line.clone());
        self.0
            .lock()
            .unwrap()
            .push(serde_json::from_str(&line).unwrap());
    }
}

/// The response of one call, with the body parsed.
/// One test's world: its own table and keys on the shared moto server, and the real
/// functions wired to them.
pub struct Stack {
    /// The harness's own SDK configuration: straight to moto, never through a fault proxy.
    pub sdk: SdkConfig,
    /// The functions' SDK configuration: through the fault proxy when the stack has one.
    pub fn_sdk: SdkConfig,
    pub table: String,
    pub key_id: String,
    pub mac_key_id: String,
    /// The documents bucket (SSE-KMS under its own key, as in AWS).
    pub bucket: String,
    /// The functions' client of it (through the fault proxy when there is one).
    pub objects: Arc<mynumber_aws::S3Documents>,
    /// Where its presigned URLs point (the page's `connect-src`).
    pub storage_origin: String,
    pub clock: Arc<FixedClock>,
    pub audit: Arc<CaptureAudit>,
    pub config: VaultConfig,
    pub intake: intake::Intake,
    /// The registrar's side of collection: links, review, photos.
    pub review: review::Review,
    pub lookup: lookup::Lookup,
    /// The employee's side of collection links (no JWT).
    pub collect: collect::Collect,
    /// The HR console's pages, in development mode (the principal picker).
    pub console: console::Console,
    /// Deletion certificates, signed with this stack's own ECC key.
    pub certify: certify::Certify,
    pub certificate_key_id: String,
    /// Bodies of every response except reveals, which must never hold a number.
    pub non_reveal_bodies: Mutex<Vec<String>>,
    /// Every number a request to this stack carried: what its leak scans look for.
    pub sent: SentNumbers,
    /// Broken per-call promises, kept for the end-of-test check: a call a browser test's
    /// server made panics in a task whose panic no one sees.
    violations: Mutex<Vec<String>>,
    /// Marks the log lines written during this stack's calls.
    pub tag: u64,
}

impl Stack {
    pub async fn new() -> Stack {
        Self::with_config(VaultConfig::default()).await
    }

    pub async fn with_config(config: VaultConfig) -> Stack {
        Self::build(config, None, false).await
    }

    /// A stack whose functions also take the principal from the development headers, as
    /// under `make dev`: what the console's principal picker sets.
    pub async fn with_dev_headers() -> Stack {
        Self::build(VaultConfig::default(), None, true).await
    }

    /// A stack on the moto server at `moto`, whose functions reach it through `proxy`
    /// (the harness's own reads and checks go straight to moto).
    pub async fn behind(moto: &str, proxy: &faults::FaultProxy) -> Stack {
        Self::build(VaultConfig::default(), Some((moto, &proxy.endpoint)), false).await
    }

    async fn build(config: VaultConfig, faulty: Option<(&str, &str)>, dev_headers: bool) -> Stack {
        install_capture();
        let endpoint = match faulty {
            Some((moto, _)) => moto.to_owned(),
            None => moto::endpoint(),
        };
        let functions_endpoint = faulty.map(|(_, proxy)| proxy);
        // The harness's own calls (set-up, table scans) wait as long as they need.
        let sdk = patient(
            mynumber_aws::sdk_config(Some(&endpoint)).await,
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(5))
                .operation_timeout(std::time::Duration::from_secs(120)),
        );
        // The functions' own configuration, but with the patience of a shared emulator:
        // production's 3 s an attempt is sized for DynamoDB and KMS, not for one moto that
        // every parallel test of the process queues on (injected latency stays under 0.5 s).
        let fn_sdk = patient(
            mynumber_aws::sdk_config(Some(functions_endpoint.unwrap_or(&endpoint))).await,
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(10))
                .operation_attempt_timeout(std::time::Duration::from_secs(30))
                .operation_timeout(std::time::Duration::from_secs(90)),
        );
        let fn_ddb = aws_sdk_dynamodb::Client::new(&fn_sdk);
        let fn_kms = recording_kms(&fn_sdk);
        let ddb = aws_sdk_dynamodb::Client::new(&sdk);
        let kms = recording_kms(&sdk);
        let id = uuid_like();
        let table = format!("vault-{id}");
        bootstrap::ensure_table(&ddb, &table).await.unwrap();
        let key_id = bootstrap::ensure_encryption_key(&kms, &format!("alias/enc-{id}"))
            .await
            .unwrap();
        let mac_key_id = bootstrap::ensure_mac_key(&kms, &format!("alias/mac-{id}"))
            .await
            .unwrap();
        let documents_key = bootstrap::ensure_encryption_key(&kms, &format!("alias/doc-{id}"))
            .await
            .unwrap();
        let certificate_key_id =
            bootstrap::ensure_certificate_key(&kms, &format!("alias/cert-{id}"))
                .await
                .unwrap();
        let bucket = format!("documents-{id}");
        bootstrap::ensure_documents_bucket(&s3_client(&sdk), &bucket, &documents_key, &["*"])
            .await
            .unwrap();
        bootstrap::ensure_mail_identity(&aws_sdk_sesv2::Client::new(&sdk), crate::MAIL_FROM)
            .await
            .unwrap();
        let fn_endpoint = functions_endpoint.unwrap_or(&endpoint).to_owned();
        let objects = Arc::new(mynumber_aws::S3Documents::new(&fn_sdk, &bucket, true));
        let storage_origin =
            mynumber_aws::S3Documents::origin(&fn_sdk, &bucket, Some(&fn_endpoint));
        let clock = Arc::new(FixedClock(Mutex::new(epoch())));
        let audit = Arc::new(CaptureAudit::default());
        let core = Core::new(audit.clone(), clock.clone(), config.clone());
        let store = Arc::new(DynamoStore::new(fn_ddb.clone(), &table).with_config(&config));
        let intake = IntakeService::new(
            core.clone(),
            store.clone(),
            Arc::new(KmsEncryptor::new(fn_kms.clone(), &key_id, &mac_key_id)),
        );
        let notifier = Notifier::new(
            Arc::new(mynumber_aws::SesMailer::new(
                &fn_sdk,
                crate::MAIL_FROM,
                None,
            )),
            store.clone(),
            store.clone(),
            PUBLIC_BASE_URL,
        );
        let review = (
            ReviewService::new(core.clone(), store.clone(), objects.clone())
                .with_mail(notifier.clone()),
            NotificationService::new(core.clone(), notifier),
        );
        let submissions = SubmissionService::new(
            core.clone(),
            store.clone(),
            Arc::new(KmsEncryptor::new(fn_kms.clone(), &key_id, &mac_key_id)),
            objects.clone(),
        );
        let certificates = mynumber_domain::certificate::CertificateService::new(
            core.clone(),
            store.clone(),
            Arc::new(mynumber_aws::KmsSigner::new(
                fn_kms.clone(),
                &certificate_key_id,
            )),
        );
        let lookup = LookupService::new(
            core,
            store,
            Arc::new(KmsDecryptor::new(fn_kms.clone(), &key_id)),
        );
        let auth = || {
            let auth = jwt::authenticator();
            if dev_headers {
                auth.with_dev_headers()
            } else {
                auth
            }
        };
        let console = console::Console::new(console::Settings {
            mode: console::Mode::Development,
            storage_origin: Some(storage_origin.clone()),
        });
        Stack {
            intake: intake::Intake::new(intake, auth()),
            review: review::Review::new(review, auth(), PUBLIC_BASE_URL),
            lookup: lookup::Lookup::new(lookup, auth()),
            collect: collect::Collect::new(submissions, &storage_origin),
            console,
            certify: certify::Certify::new(certificates, auth()),
            certificate_key_id,
            bucket,
            objects,
            storage_origin,
            sdk,
            fn_sdk,
            table,
            key_id,
            mac_key_id,
            clock,
            audit,
            config,
            non_reveal_bodies: Mutex::new(Vec::new()),
            sent: SentNumbers::default(),
            violations: Mutex::new(Vec::new()),
            tag: {
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
        }
    }

    /// Every message moto's SES took for `to`, oldest first: `subject`, `body` (moto keeps the
    /// HTML part), `source`, `destinations`, `id`.
    pub async fn sent_mail(&self, to: &str) -> Vec<Value> {
        self.sent_mail_all()
            .await
            .into_iter()
            .filter(|m| {
                m["destinations"]["ToAddresses"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|a| a == to))
            })
            .collect()
    }

    /// Every message moto's SES took, whoever sent it.
    pub async fn sent_mail_all(&self) -> Vec<Value> {
        let endpoint = self.sdk.endpoint_url().expect("the harness talks to moto");
        let (status, _, body) = crate::http(
            "GET",
            &format!("{endpoint}/moto-api/data.json"),
            &[],
            Vec::new(),
        )
        .await;
        assert_eq!(status, 200);
        let data: Value = serde_json::from_slice(&body).unwrap();
        data["ses"]["Message"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Mail as this stack's functions send it: SES in moto, the sent log and the settings
    /// on `store`.
    fn notifier_on(&self, store: Arc<DynamoStore>) -> Notifier {
        Notifier::new(
            Arc::new(mynumber_aws::SesMailer::new(
                &self.fn_sdk,
                crate::MAIL_FROM,
                None,
            )),
            store.clone(),
            store,
            PUBLIC_BASE_URL,
        )
    }

    /// The notify function as this stack has it (its clock, SES in moto).
    pub fn notify(&self) -> notify::Notify {
        let store = self.store_on(&self.table);
        let notifier = self.notifier_on(store.clone());
        notify::Notify::new(
            mynumber_domain::remind::ReminderService::new(
                self.core(self.clock.clone()),
                store.clone(),
                notifier.clone(),
            ),
            mynumber_domain::digest::DigestService::new(
                self.core(self.clock.clone()),
                store,
                notifier.clone(),
            ),
            notifier,
        )
    }

    /// The audit sink, configuration and `clock` of this stack's functions.
    pub fn core(&self, clock: Arc<dyn Clock>) -> Core {
        Core::new(self.audit.clone(), clock, self.config.clone())
    }

    /// The store as this stack's functions have it, on `table`.
    pub fn store_on(&self, table: &str) -> Arc<DynamoStore> {
        Arc::new(
            DynamoStore::new(aws_sdk_dynamodb::Client::new(&self.fn_sdk), table)
                .with_config(&self.config),
        )
    }

    /// Intake's use case as this stack has it, but on `table` and the data key `key_id`
    /// (say [`MISSING_KEY`]): for staging failures.
    pub fn intake_service(&self, table: &str, key_id: &str) -> IntakeService {
        IntakeService::new(
            self.core(self.clock.clone()),
            self.store_on(table),
            Arc::new(KmsEncryptor::new(self.kms(), key_id, &self.mac_key_id)),
        )
    }

    /// Intake's use case on this stack's table with neither KMS key: every Encrypt and
    /// GenerateMac fails.
    pub fn intake_without_keys(&self) -> IntakeService {
        IntakeService::new(
            self.core(self.clock.clone()),
            self.store_on(&self.table),
            Arc::new(KmsEncryptor::new(self.kms(), MISSING_KEY, MISSING_KEY)),
        )
    }

    /// The registrar's collection and review use cases as this stack has them, on `table`.
    pub fn review_service(&self, table: &str) -> (ReviewService, NotificationService) {
        let store = self.store_on(table);
        let notifier = self.notifier_on(store.clone());
        (
            ReviewService::new(self.core(self.clock.clone()), store, self.objects.clone())
                .with_mail(notifier.clone()),
            NotificationService::new(self.core(self.clock.clone()), notifier),
        )
    }

    /// The collect function as this stack has it, but on `table` and the data key `key_id`.
    pub fn collect_on(&self, table: &str, key_id: &str) -> collect::Collect {
        collect::Collect::new(
            SubmissionService::new(
                self.core(self.clock.clone()),
                self.store_on(table),
                Arc::new(KmsEncryptor::new(self.kms(), key_id, &self.mac_key_id)),
                self.objects.clone(),
            ),
            &self.storage_origin,
        )
    }

    /// Lookup's use case as this stack has it, but on `table` and the data key `key_id`.
    pub fn lookup_service(&self, table: &str, key_id: &str) -> LookupService {
        LookupService::new(
            self.core(self.clock.clone()),
            self.store_on(table),
            Arc::new(KmsDecryptor::new(self.kms(), key_id)),
        )
    }

    /// The purge function on this stack's table (it has no key at all), on `clock`.
    pub fn purge_with_clock(&self, clock: Arc<dyn Clock>) -> purge::Purge {
        purge::Purge::with_metrics(
            PurgeService::new(
                self.core(clock),
                self.store_on(&self.table),
                self.objects.clone(),
            ),
            chrono::Duration::seconds(10),
            Arc::new(Mutex::new(CaptureWriter)),
        )
    }

    /// The TTL backstop function on this stack's table (no key), writing its metric
    /// lines into `metrics`.
    pub fn backstop(&self, metrics: Arc<Mutex<Vec<u8>>>) -> backstop::Backstop {
        let service =
            BackstopService::new(self.core(self.clock.clone()), self.store_on(&self.table));
        backstop::Backstop::with_metrics(service, metrics)
    }

    pub fn purge(&self) -> purge::Purge {
        self.purge_with_clock(self.clock.clone())
    }

    /// Invokes a purge with the repo's scheduled-event payload and a deadline.
    pub async fn run_purge(
        &self,
        purge: &purge::Purge,
        deadline: DateTime<Utc>,
    ) -> Result<Value, purge::PurgeError> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../events/scheduled-event.json"
        );
        let event = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut ctx = lambda_runtime::Context::default();
        ctx.request_id = format!("purge-{}", uuid_like());
        ctx.deadline = u64::try_from(deadline.timestamp_millis()).unwrap();
        STACK_TAG
            .scope(
                self.tag,
                purge.handle(lambda_runtime::LambdaEvent::new(event, ctx)),
            )
            .await
    }

    pub fn ddb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }

    /// The harness's own S3 client (straight to moto).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        s3_client(&self.sdk)
    }

    /// Every key in the documents bucket.
    pub async fn bucket_keys(&self) -> Vec<String> {
        let out = self
            .s3()
            .list_objects_v2()
            .bucket(&self.bucket)
            .send()
            .await
            .unwrap();
        out.contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect()
    }

    pub fn kms(&self) -> aws_sdk_kms::Client {
        recording_kms(&self.sdk)
    }

    pub fn set_now(&self, now: DateTime<Utc>) {
        *self.clock.0.lock().unwrap() = now;
    }

    /// Sends a request to whichever function API Gateway would route it to.
    pub async fn call(&self, request: Request) -> Reply {
        let shift_jis = request
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("shift_jis"));
        match request.body() {
            Body::Text(s) => self.sent.record_body(s),
            Body::Binary(b) if shift_jis => self
                .sent
                .record_body(&encoding_rs::SHIFT_JIS.decode_without_bom_handling(b).0),
            Body::Binary(b) => self.sent.record_body(&String::from_utf8_lossy(b)),
            _ => {}
        }
        // A client's key is its own text, and may hold a number.
        if let Some(key) = request
            .headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
        {
            self.sent.record(key);
        }
        let request_id = {
            use lambda_http::RequestExt;
            match request.request_context_ref() {
                Some(lambda_http::request::RequestContext::ApiGatewayV2(c)) => c.request_id.clone(),
                _ => None,
            }
        };
        let operation = documented_operation(request.method().as_str(), request.uri().path());
        let reply = STACK_TAG.scope(self.tag, self.dispatch(request)).await;
        if let Some(id) = request_id {
            self.assert_one_audit_event(&id, operation.as_deref(), &reply);
        }
        reply
    }

    /// Exactly one audit event tells of each call of a documented API operation, whatever
    /// its answer (success, refusal, failure) — besides the events that tell of its
    /// documented consequences; a call of anything else (a page, an unknown route, a
    /// method without a route) writes none.
    fn assert_one_audit_event(&self, request_id: &str, operation: Option<&str>, reply: &Reply) {
        let events: Vec<Value> = self
            .audit_events()
            .into_iter()
            .filter(|e| e["request_id"] == request_id)
            .collect();
        let consequence = |e: &Value| match e["event"].as_str().unwrap_or_default() {
            // Each number in an export's file, and each row an import registered.
            "reveal" => e["export_id"].is_string(),
            "intake" => operation == Some("post /v1/imports"),
            // The record a `replace: true` intake displaced, or the past-due one whose slot
            // it took; the photos a decision deleted; an export found past its deadline.
            "disposal" => e["reason"] == "replaced" || e["reason"] == "retention_ended",
            "documents_deleted" | "export_expired" => true,
            // The link a registrar opened with an address, or resent, emailed.
            "notification_sent" => matches!(
                operation,
                Some("post /v1/collections" | "post /v1/collections/{collection_id}/resend")
            ),
            // A stored number an import row or a link's submission matched.
            "number_matched" => matches!(
                operation,
                Some("post /v1/imports" | "post /v1/collect" | "post /v1/records")
            ),
            _ => false,
        };
        let told: Vec<&str> = events
            .iter()
            .filter(|e| !consequence(e))
            .map(|e| e["event"].as_str().unwrap_or_default())
            .collect();
        // The certificate key's public half is public, fetched by anyone: no audit event.
        let expected = usize::from(
            operation.is_some() && operation != Some("get /v1/certificates/public-key"),
        );
        if told.len() != expected {
            let message = format!(
                "{} answered {} with the audit events {told:?} (expected {expected}): {}",
                operation.unwrap_or("an undocumented call"),
                reply.status,
                reply.raw
            );
            self.violations.lock().unwrap().push(message.clone());
            panic!("{message}");
        }
    }

    async fn dispatch(&self, request: Request) -> Reply {
        let method = request.method().as_str().to_owned();
        let path = request.uri().path().to_owned();
        // An export's file holds numbers, as a reveal's answer does.
        let is_reveal = matches!(
            route(::lookup::ROUTES, &method, &path),
            Ok((::lookup::Op::Reveal | ::lookup::Op::DownloadExport, _))
        );
        let resp = match Target::of(&method, &path) {
            Target::Console => self.console.handle(request),
            Target::Collect => self.collect.handle(request).await,
            Target::Review => self.review.handle(request).await,
            Target::Lookup => self.lookup.handle(request).await,
            Target::Intake => self.intake.handle(request).await,
            Target::Certify => self.certify.handle(request).await,
        };
        let reply = Reply::from_response(resp);
        if !is_reveal || reply.status != 200 {
            self.non_reveal_bodies
                .lock()
                .unwrap()
                .push(reply.raw.clone());
        }
        reply
    }

    pub fn audit_events(&self) -> Vec<Value> {
        self.audit.0.lock().unwrap().clone()
    }

    /// Every item of this test's table (all pages) — a Scan, which only tests do.
    pub async fn all_items(&self) -> Vec<Item> {
        scan_all(&self.ddb(), &self.table).await
    }

    /// The stored items of one kind (`record`, `disposal`, `slot`, `audit`, …).
    pub async fn items_of_kind(&self, kind: &str) -> Vec<Item> {
        of_kind(self.all_items().await, kind)
    }

    /// Sets one string attribute of a stored item, behind the functions' backs: data as an
    /// older version of the product may have left it.
    pub async fn overwrite(&self, item: &Item, attribute: &str, value: &str) {
        self.ddb()
            .update_item()
            .table_name(&self.table)
            .key("pk", item["pk"].clone())
            .key("sk", item["sk"].clone())
            .update_expression("SET #a = :v")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(
                ":v",
                aws_sdk_dynamodb::types::AttributeValue::S(value.into()),
            )
            .send()
            .await
            .unwrap();
    }

    /// Fails if a number in `numbers` or any number a request to this stack carried
    /// appears, written in any way the domain's detector reads, in a log line of this
    /// process, in a non-reveal response of this stack, or in any stored attribute other
    /// than the ciphertext.
    pub async fn assert_no_plaintext(&self, numbers: &[&str]) {
        let also = digit_set(numbers.iter().copied());
        let logs = captured().lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert!(!logs.is_empty(), "the capture saw no log lines at all");
        // This stack's lines and those of no stack: another test's leak is its own failure.
        let mine = logs
            .iter()
            .filter(|c| c.tag.is_none() || c.tag == Some(self.tag));
        for c in mine {
            assert!(
                !self.sent.found_in_any(c.readings(), &also),
                "a log line holds a number a test sent: {}",
                c.line
            );
        }
        let bodies = self.non_reveal_bodies.lock().unwrap().clone();
        for body in &bodies {
            assert!(
                !self.sent.found_in(body, &also),
                "a response holds a number a test sent: {body}"
            );
        }
        for text in stored_texts(&self.all_items().await) {
            assert!(
                !self.sent.found_in(&text, &also),
                "a stored item holds a number a test sent in plaintext"
            );
        }
        // Every message SES took (this stack's and others': none may hold a number).
        for m in self.sent_mail_all().await {
            let text = format!("{} {}", m["subject"], m["body"]);
            assert!(
                !self.sent.found_in(&text, &also),
                "a sent mail holds a number a test sent: {}",
                m["subject"]
            );
            assert_no_secret_in_mail(
                m["subject"].as_str().unwrap_or_default(),
                m["body"].as_str().unwrap_or_default(),
            );
        }
    }

    /// Runs `work` as this stack's own: the lines it logs are checked by this stack's log
    /// check (for tests that drive a use case or a handler directly).
    pub async fn scoped<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        STACK_TAG.scope(self.tag, work).await
    }

    /// The end-of-test log check (also run when the stack is dropped): the lines this
    /// stack's calls wrote, and those written outside any stack's call, hold no number it
    /// was sent and no test number, come from no foreign crate below `warn`, and hold no
    /// digest of a KMS request body. Tests whose stack a server task also holds call it
    /// last, so a failure is their own.
    pub fn assert_logs_clean(&self) {
        let violations = self
            .violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        assert!(violations.is_empty(), "{violations:#?}");
        check_logs(|tag| tag.is_none() || tag == Some(self.tag), &self.sent);
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.assert_logs_clean();
        }
    }
}

/// A mail holds no token but the employee's own link (one, in a link mail or a reminder),
/// no MAC or digest (no other run of 32 or more hex digits) and no address in its body.
fn assert_no_secret_in_mail(subject: &str, body: &str) {
    let runs: std::collections::BTreeSet<&str> = body
        .split(|c: char| !c.is_ascii_hexdigit())
        .filter(|run| run.len() >= 32)
        .collect();
    let link_mail = subject.contains("ご提出のお願い");
    let allowed = usize::from(link_mail);
    assert!(
        runs.len() <= allowed && runs.iter().all(|r| link_mail && r.len() == 64),
        "{subject}: a token, a MAC or a digest where none belongs ({} hex runs)",
        runs.len()
    );
    assert!(!body.contains('@'), "{subject}: an address in a mail body");
}
