//! The SAM template against the code: the template's routes are exactly the routing table's, each
//! route is served by the function the table names, and each function's policy grants exactly the
//! actions on exactly the resources its handler is declared to use (`GRANTS`), nothing more.

use serde_json::Value;
use serde_json::json;
use smartenroll_api::routes::ROUTES;
use smartenroll_functions::aws::{GRANTS, WORKERS};
use std::collections::BTreeSet;

fn template() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).expect("infra/template.yaml")).expect("the template is plain YAML")
}

/// (function binary name, resource) for every Lambda function in the template.
fn functions(t: &Value) -> Vec<(String, Value)> {
    t["Resources"]
        .as_object()
        .expect("Resources")
        .values()
        .filter(|r| r["Type"] == "AWS::Serverless::Function")
        .map(|r| (r["Metadata"]["BuildProperties"]["Binary"].as_str().expect("every function names its binary").to_string(), r.clone()))
        .collect()
}

#[test]
fn the_template_routes_are_exactly_the_routing_table() {
    let t = template();
    let mut declared = BTreeSet::new();
    for (binary, resource) in functions(&t) {
        for event in resource["Properties"]["Events"].as_object().expect("Events").values() {
            if event["Type"] != "HttpApi" {
                continue;
            }
            let method = event["Properties"]["Method"].as_str().expect("Method").to_string();
            let path = event["Properties"]["Path"].as_str().expect("Path").to_string();
            assert!(declared.insert((method, path, binary.clone())), "route declared twice");
        }
    }
    let table: BTreeSet<_> = ROUTES.iter().map(|r| (r.method.to_string(), r.path.to_string(), r.function.to_string())).collect();
    assert_eq!(declared, table);
}

/// The template's name for a policy resource (see `GRANTS` in functions/src/aws.rs), or a panic.
fn resource_name(binary: &str, r: &Value) -> &'static str {
    let named = [
        (json!({"Fn::GetAtt": ["Table", "Arn"]}), "table"),
        (json!({"Fn::Sub": "${Table.Arn}/index/gsi1"}), "index"),
        (json!({"Fn::Sub": "${Table.Arn}/index/gsi2"}), "expiry-index"),
        (json!({"Ref": "JwtSecretArn"}), "secret"),
        (json!({"Ref": "GatewaysSecretArn"}), "gateways-secret"),
        (json!({"Fn::GetAtt": ["Blobs", "Arn"]}), "bucket"),
        (json!({"Fn::Sub": "${Blobs.Arn}/clients/*"}), "objects"),
        (json!({"Fn::Sub": "${Blobs.Arn}/screening-lists/*"}), "lists"),
        (json!({"Ref": "SourcesSecretArn"}), "sources-secret"),
        (json!({"Fn::GetAtt": ["JobsQueue", "Arn"]}), "jobs-queue"),
        (json!({"Fn::GetAtt": ["WebhooksQueue", "Arn"]}), "webhooks-queue"),
    ];
    named.iter().find(|(v, _)| v == r).map(|(_, name)| *name).unwrap_or_else(|| panic!("{binary}: unexpected resource {r}"))
}

#[test]
fn each_function_is_granted_exactly_the_actions_on_exactly_the_resources_its_handler_uses() {
    let t = template();
    let mut seen = BTreeSet::new();
    for (binary, resource) in functions(&t) {
        let policies = resource["Properties"]["Policies"].as_array().expect("inline policies only");
        let mut granted = BTreeSet::new();
        for policy in policies {
            for st in policy["Statement"].as_array().expect("a policy document, not a managed policy") {
                // A statement granted only when a parameter is set: `Fn::If [condition, statement, AWS::NoValue]`.
                let st = match st.get("Fn::If") {
                    Some(branches) => {
                        assert_eq!(branches[2], json!({"Ref": "AWS::NoValue"}), "{binary}: a conditional grant has no else branch");
                        &branches[1]
                    }
                    None => st,
                };
                assert_eq!(st["Effect"], "Allow");
                for r in st["Resource"].as_array().expect("Resource list") {
                    for a in st["Action"].as_array().expect("Action list") {
                        granted.insert((resource_name(&binary, r), a.as_str().expect("action").to_string()));
                    }
                }
            }
        }
        let declared = GRANTS.iter().find(|(f, _)| *f == binary).unwrap_or_else(|| panic!("{binary} declares no grants")).1;
        let want: BTreeSet<(&str, String)> =
            declared.iter().flat_map(|(r, actions)| actions.iter().map(move |a| (*r, a.to_string()))).collect();
        assert_eq!(granted, want, "{binary}: the template's grants differ from what the handler declares");
        seen.insert(binary);
    }
    let all: BTreeSet<String> = ROUTES.iter().map(|r| r.function.to_string()).chain(WORKERS.iter().map(|w| w.to_string())).collect();
    assert_eq!(seen, all, "one function per routing-table function and per worker");
}

#[test]
fn queues_have_dead_letter_queues_and_workers_report_partial_batch_failures() {
    let t = template();
    let queue = &t["Resources"]["JobsQueue"]["Properties"];
    assert_eq!(queue["RedrivePolicy"]["deadLetterTargetArn"], json!({"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}));
    let worker = &t["Resources"]["JobsWorkerFunction"]["Properties"];
    let timeout = worker["Timeout"].as_u64().expect("worker timeout");
    assert!(queue["VisibilityTimeout"].as_u64().expect("visibility") >= 6 * timeout, "visibility must outlast retries of a batch");
    let event = &worker["Events"]["Jobs"];
    assert_eq!(event["Type"], "SQS");
    assert_eq!(event["Properties"]["FunctionResponseTypes"], json!(["ReportBatchItemFailures"]));
    let bucket = &t["Resources"]["Blobs"]["Properties"];
    assert_eq!(bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"], true);
    assert_eq!(
        bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "AES256"
    );
    assert!(bucket["LifecycleConfiguration"]["Rules"].as_array().is_some_and(|r| !r.is_empty()));
}

#[test]
fn the_template_keeps_the_architecture_a_parameter_and_no_secret_in_plaintext() {
    let t = template();
    assert_eq!(t["Parameters"]["Architecture"]["Default"], "arm64");
    assert_eq!(t["Globals"]["Function"]["Architectures"][0]["Ref"], "Architecture");
    let vars = t["Globals"]["Function"]["Environment"]["Variables"].as_object().expect("variables");
    assert!(!vars.contains_key("SMARTENROLL_JWT_SECRET"), "the secret itself never goes into the environment");
    assert_eq!(vars["SMARTENROLL_JWT_SECRET_ARN"]["Ref"], "JwtSecretArn");
    let table = &t["Resources"]["Table"]["Properties"];
    assert_eq!(table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true);
    assert_eq!(table["TimeToLiveSpecification"]["Enabled"], true);
}

/// Each Lambda binary names its own handler (so it links that one alone); it must be the one the
/// routing table gives its function, and every function of the table must have its binary.
#[test]
fn each_lambda_binary_runs_the_handler_the_routing_table_names_for_it() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    // The workspace's own shared/ crates (functions/ sits beside them in the repository).
    let workspace = root.parent().expect("the workspace root");
    let table = std::fs::read_to_string(workspace.join("shared").join("api").join("src").join("routes.rs")).expect("routes.rs");
    let mut expected = std::collections::BTreeMap::new();
    for line in table.lines().map(str::trim).filter(|l| l.starts_with('"') && l.contains("=>")) {
        // "GET" "/v3/projects/{id}" => "projects-get" Client crate::projects::get,
        let (_, rest) = line.split_once("=>").expect("arrow");
        let mut parts = rest.split_whitespace();
        let function = parts.next().expect("function").trim_matches('"').to_string();
        let _access = parts.next().expect("access");
        let handler = parts.next().expect("handler").trim_end_matches(',').replacen("crate::", "smartenroll_api::", 1);
        expected.entry(function).or_insert(handler);
    }
    assert!(expected.len() >= 20, "parsed the routing table: {expected:?}");
    for (function, handler) in &expected {
        let bin = root.join(format!("src/bin/lambda/{function}.rs"));
        let source = std::fs::read_to_string(&bin).unwrap_or_else(|_| panic!("{function} has no binary"));
        let compact: String = source.split_whitespace().collect();
        assert!(
            compact.contains(&format!("run_lambda(\"{function}\",smartenroll_api::handler!({handler}),")),
            "{function} must run {handler}"
        );
    }
}
