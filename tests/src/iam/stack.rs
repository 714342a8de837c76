//! One test's world on the enforcing server: each function's use case on its role.

use super::*;

/// One test's world on the enforcing server: its table (with the template's stream) and
/// keys, created by the admin user, and the template resolved against them.
pub struct IamStack {
    pub template: Template,
    pub deployment: Deployment,
    /// The admin user's SDK configuration: set-up and the tests' own checks.
    pub admin: SdkConfig,
    pub table: String,
    pub data_key_arn: String,
    pub mac_key_arn: String,
    pub clock: Arc<FixedClock>,
    pub audit: Arc<CaptureAudit>,
    pub config: VaultConfig,
}

/// A function's identity in moto: an IAM role with its template policies, and the
/// credentials of a session of that role (what Lambda hands the function).
pub struct Identity {
    pub function: Function,
    pub role_name: String,
    /// The policies as moto holds them: `(name, document)`, resolved and adapted.
    pub policies: Vec<(String, Value)>,
    pub keys: Keys,
    pub sdk: SdkConfig,
}

impl Identity {
    pub fn ddb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }
    pub fn kms(&self) -> aws_sdk_kms::Client {
        recording_kms(&self.sdk)
    }
}

impl IamStack {
    pub async fn new() -> IamStack {
        crate::install_capture();
        let server = enforcing();
        let admin = sdk_for(&server.admin).await;
        let stack_name = format!("iam-{}", crate::uuid_like());
        let template = Template::load();
        let table = format!("{stack_name}-table");
        let ddb = aws_sdk_dynamodb::Client::new(&admin);
        bootstrap::ensure_table(&ddb, &table).await.unwrap();
        // The template's table streams its changes to the backstop (Table.StreamArn).
        let view = as_str(
            &template.resource("Table")["Properties"]["StreamSpecification"]["StreamViewType"],
            "Table's StreamViewType",
        );
        ddb.update_table()
            .table_name(&table)
            .stream_specification(
                aws_sdk_dynamodb::types::StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(view.into())
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let described = ddb
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .unwrap();
        let t = described.table().expect("the table");
        let table_arn = t.table_arn().expect("a table ARN").to_owned();
        let stream_arn = t.latest_stream_arn().expect("a stream ARN").to_owned();
        // The keys as the template declares them (KeySpec, KeyUsage); no key policy: moto
        // does not apply one to Encrypt or Decrypt (docs/iam-in-the-emulator.md).
        let kms = aws_sdk_kms::Client::new(&admin);
        let mut keys = Vec::new();
        for logical_id in ["DataKey", "MacKey"] {
            let props = &template.resource(logical_id)["Properties"];
            let created = kms
                .create_key()
                .key_spec(as_str(&props["KeySpec"], logical_id).into())
                .key_usage(as_str(&props["KeyUsage"], logical_id).into())
                .description(format!("{stack_name} {logical_id}"))
                .send()
                .await
                .unwrap();
            let meta = created.key_metadata().expect("the key's metadata");
            keys.push((
                meta.key_id().to_owned(),
                meta.arn().expect("an ARN").to_owned(),
            ));
        }
        let [(data_key, data_key_arn), (mac_key, mac_key_arn)] =
            <[(String, String); 2]>::try_from(keys).unwrap();
        let deployment = Deployment {
            region: admin.region().expect("a region").to_string(),
            account: server.account.clone(),
            refs: HashMap::from([
                ("Table".into(), table.clone()),
                ("DataKey".into(), data_key.clone()),
                ("MacKey".into(), mac_key.clone()),
                // The stack's mail identity and configuration set (SES is not under IAM
                // here: the review's mail goes to a memory mailer).
                ("MailDomain".into(), "vault.example.test".into()),
                ("MailConfigurationSet".into(), "mynumber-vault-mail".into()),
            ]),
            attributes: HashMap::from([
                ("Table.Arn".into(), table_arn),
                ("Table.StreamArn".into(), stream_arn),
                ("DataKey.Arn".into(), data_key_arn.clone()),
                ("MacKey.Arn".into(), mac_key_arn.clone()),
            ]),
            stack_name,
        };
        IamStack {
            template,
            deployment,
            admin,
            table,
            data_key_arn,
            mac_key_arn,
            clock: Arc::new(FixedClock(Mutex::new(crate::epoch()))),
            audit: Arc::new(CaptureAudit::default()),
            config: VaultConfig::default(),
        }
    }

    /// The template's policies of `function`'s role, resolved in this stack.
    pub fn policies(&self, function: Function) -> Vec<(String, Value)> {
        self.template
            .role_policies(function.role())
            .into_iter()
            .map(|(name, doc)| {
                let name = self.template.resolve(&name, &self.deployment);
                (
                    as_str(&name, "PolicyName").to_owned(),
                    self.template.resolve(&doc, &self.deployment),
                )
            })
            .collect()
    }

    /// Creates `function`'s role in moto with its template policies (adapted as `how`
    /// says) and assumes it. The trust policy is the one thing not from the template:
    /// there Lambda assumes the role; here the admin user does.
    pub async fn identity(&self, function: Function, how: Policies) -> Identity {
        let server = enforcing();
        let role_name = format!("{}-{how:?}", self.deployment.role_name(function.role()));
        let trust = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": server.admin_arn},
                "Action": "sts:AssumeRole"
            }]
        })
        .to_string();
        let role = query(
            &server.admin,
            "iam",
            &[
                ("Action", "CreateRole"),
                ("RoleName", &role_name),
                ("AssumeRolePolicyDocument", &trust),
            ],
        )
        .await
        .expect("CreateRole");
        let policies: Vec<(String, Value)> = self
            .policies(function)
            .into_iter()
            .map(|(name, doc)| (name, adapt(doc, how)))
            .collect();
        for (name, doc) in &policies {
            query(
                &server.admin,
                "iam",
                &[
                    ("Action", "PutRolePolicy"),
                    ("RoleName", &role_name),
                    ("PolicyName", name),
                    ("PolicyDocument", &doc.to_string()),
                ],
            )
            .await
            .unwrap_or_else(|e| panic!("PutRolePolicy {name}: {e:?}"));
        }
        let session = query(
            &server.admin,
            "sts",
            &[
                ("Action", "AssumeRole"),
                ("RoleArn", &xml_text(&role, "Arn")),
                ("RoleSessionName", &format!("{function:?}").to_lowercase()),
            ],
        )
        .await
        .expect("AssumeRole");
        let keys = Keys {
            access_key_id: xml_text(&session, "AccessKeyId"),
            secret_access_key: xml_text(&session, "SecretAccessKey"),
            session_token: Some(xml_text(&session, "SessionToken")),
        };
        Identity {
            function,
            role_name,
            policies,
            sdk: sdk_for(&keys).await,
            keys,
        }
    }

    /// An environment variable of `identity`'s function as the template sets it,
    /// resolved in this stack.
    fn env(&self, identity: &Identity, name: &str) -> Option<String> {
        let env = self.template.function_environment(identity.function.role());
        env.get(name)
            .map(|v| as_str(&self.template.resolve(v, &self.deployment), name).to_owned())
    }

    /// The function's store as `mynumber_aws` builds it from the environment the template
    /// gives the function, on `identity`'s credentials.
    fn store(&self, identity: &Identity) -> Arc<DynamoStore> {
        let table = self.env(identity, "TABLE_NAME").expect("TABLE_NAME");
        Arc::new(DynamoStore::new(identity.ddb(), &table).with_config(&self.config))
    }

    fn core(&self) -> Core {
        Core::new(self.audit.clone(), self.clock.clone(), self.config.clone())
    }

    pub fn intake(&self, identity: &Identity) -> intake::Intake {
        let key = self.env(identity, "KMS_KEY_ID").expect("KMS_KEY_ID");
        let mac_key = self.env(identity, "MAC_KEY_ID").expect("MAC_KEY_ID");
        let service = IntakeService::new(
            self.core(),
            self.store(identity),
            Arc::new(KmsEncryptor::new(identity.kms(), key, mac_key)),
        );
        intake::Intake::new(service, jwt::authenticator())
    }

    pub fn lookup(&self, identity: &Identity) -> lookup::Lookup {
        let key = self.env(identity, "KMS_KEY_ID").expect("KMS_KEY_ID");
        let service = LookupService::new(
            self.core(),
            self.store(identity),
            Arc::new(KmsDecryptor::new(identity.kms(), key)),
        );
        lookup::Lookup::new(service, jwt::authenticator())
    }

    pub fn review(&self, identity: &Identity) -> review::Review {
        // The photos are not under IAM here (the enforcing server has no documents bucket),
        // and the link's origin is no matter of IAM: only the table privileges are.
        // Mail likewise: the enforcing server checks the table's privileges.
        let store = self.store(identity);
        let notifier = mynumber_domain::notify::Notifier::new(
            Arc::new(crate::memory::MemoryMailer::default()),
            store.clone(),
            store.clone(),
            crate::PUBLIC_BASE_URL,
        );
        let service = (
            mynumber_domain::review::ReviewService::new(
                self.core(),
                store,
                Arc::new(crate::memory::MemoryObjects::default()),
            )
            .with_mail(notifier.clone()),
            mynumber_domain::notify::NotificationService::new(self.core(), notifier),
        );
        review::Review::new(service, jwt::authenticator(), crate::PUBLIC_BASE_URL)
    }

    /// The notify function on its role; its mail goes to a memory mailer (the enforcing
    /// server checks the table's privileges, not SES's).
    pub fn notify(
        &self,
        identity: &Identity,
    ) -> (notify::Notify, Arc<crate::memory::MemoryMailer>) {
        let store = self.store(identity);
        let mailer = Arc::new(crate::memory::MemoryMailer::default());
        let notifier = mynumber_domain::notify::Notifier::new(
            mailer.clone(),
            store.clone(),
            store.clone(),
            crate::PUBLIC_BASE_URL,
        );
        let notify = notify::Notify::new(
            mynumber_domain::remind::ReminderService::new(
                self.core(),
                store.clone(),
                notifier.clone(),
            ),
            mynumber_domain::digest::DigestService::new(self.core(), store, notifier.clone()),
            notifier,
        );
        (notify, mailer)
    }

    pub fn purge(&self, identity: &Identity) -> purge::Purge {
        purge::Purge::with_metrics(
            // The purge's S3 deletes are not under IAM here (the enforcing server has no
            // documents bucket): only its table privileges are.
            PurgeService::new(
                self.core(),
                self.store(identity),
                Arc::new(crate::memory::MemoryObjects::default()),
            ),
            chrono::Duration::seconds(10),
            Arc::new(Mutex::new(CaptureWriter)),
        )
    }

    pub fn backstop(
        &self,
        identity: &Identity,
        metrics: Arc<Mutex<Vec<u8>>>,
    ) -> backstop::Backstop {
        let service = BackstopService::new(self.core(), self.store(identity));
        backstop::Backstop::with_metrics(service, metrics)
    }

    /// Invokes `purge` with the repo's scheduled-event payload and `deadline`.
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
        ctx.request_id = format!("purge-{}", crate::uuid_like());
        ctx.deadline = u64::try_from(deadline.timestamp_millis()).unwrap();
        purge
            .handle(lambda_runtime::LambdaEvent::new(event, ctx))
            .await
    }

    pub fn set_now(&self, now: DateTime<Utc>) {
        *self.clock.0.lock().unwrap() = now;
    }

    pub fn audit_events(&self) -> Vec<Value> {
        self.audit.0.lock().unwrap().clone()
    }

    /// The admin's DynamoDB client: the tests' own reads.
    pub fn ddb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.admin)
    }

    /// The admin's KMS client.
    pub fn kms(&self) -> aws_sdk_kms::Client {
        recording_kms(&self.admin)
    }

    /// Every item of this test's table (the admin's Scan).
    pub async fn all_items(&self) -> Vec<crate::Item> {
        crate::scan_all(&self.ddb(), &self.table).await
    }

    /// The stored items of one kind (`record`, `disposal`, …).
    pub async fn items_of_kind(&self, kind: &str) -> Vec<crate::Item> {
        crate::of_kind(self.all_items().await, kind)
    }
}

impl Drop for IamStack {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            crate::assert_logs_clean();
        }
    }
}
