//! The SAM template against the code: the template's routes are exactly the routing table's, each
//! route is served by the function the table names, and each function's policy grants exactly the
//! DynamoDB actions its handler is declared to use (plus reading the JWT secret), nothing more.

use serde_json::Value;
use smartenroll_api::routes::ROUTES;
use smartenroll_functions::aws::{TABLE_ACTIONS, USES_INDEX};
use std::collections::{BTreeMap, BTreeSet};

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
            assert_eq!(event["Type"], "HttpApi");
            let method = event["Properties"]["Method"].as_str().expect("Method").to_string();
            let path = event["Properties"]["Path"].as_str().expect("Path").to_string();
            assert!(declared.insert((method, path, binary.clone())), "route declared twice");
        }
    }
    let table: BTreeSet<_> = ROUTES.iter().map(|r| (r.method.to_string(), r.path.to_string(), r.function.to_string())).collect();
    assert_eq!(declared, table);
}

#[test]
fn each_function_is_granted_exactly_the_table_actions_its_handler_uses() {
    let t = template();
    let declared: BTreeMap<&str, BTreeSet<&str>> = TABLE_ACTIONS.iter().map(|(f, a)| (*f, a.iter().copied().collect())).collect();
    let mut seen = BTreeSet::new();
    for (binary, resource) in functions(&t) {
        let policies = resource["Properties"]["Policies"].as_array().expect("inline policies only");
        let mut table_actions = BTreeSet::new();
        let mut secret_actions = BTreeSet::new();
        for policy in policies {
            let statements = policy["Statement"].as_array().expect("a policy document, not a managed policy");
            for st in statements {
                assert_eq!(st["Effect"], "Allow");
                let actions: BTreeSet<String> =
                    st["Action"].as_array().expect("Action list").iter().map(|a| a.as_str().expect("action").to_string()).collect();
                let resources = st["Resource"].as_array().expect("Resource list");
                let on_table = resources.iter().any(|r| r["Fn::GetAtt"] == serde_json::json!(["Table", "Arn"]));
                let on_index = resources.iter().any(|r| r["Fn::Sub"] == "${Table.Arn}/index/gsi1");
                let on_secret = resources.iter().any(|r| r["Ref"] == "JwtSecretArn");
                assert_eq!(
                    resources.len(),
                    usize::from(on_table) + usize::from(on_index) + usize::from(on_secret),
                    "{binary}: unexpected resource"
                );
                assert!(!resources.iter().any(|r| r.as_str() == Some("*")), "{binary}: wildcard resource");
                if on_table {
                    assert_eq!(on_index, USES_INDEX.contains(&binary.as_str()), "{binary}: index access");
                    table_actions.extend(actions);
                } else if on_secret {
                    secret_actions.extend(actions);
                }
            }
        }
        let want = declared.get(binary.as_str()).unwrap_or_else(|| panic!("{binary} declares no table actions"));
        let got: BTreeSet<&str> = table_actions.iter().map(String::as_str).collect();
        assert_eq!(&got, want, "{binary}");
        assert_eq!(secret_actions, BTreeSet::from(["secretsmanager:GetSecretValue".to_string()]), "{binary}");
        seen.insert(binary);
    }
    let all: BTreeSet<String> = ROUTES.iter().map(|r| r.function.to_string()).collect();
    assert_eq!(seen, all, "one function per routing-table function");
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
