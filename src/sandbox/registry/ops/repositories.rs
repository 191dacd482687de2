//! The registry-level operations: `DescribeRepositories` (paged), `CreateRepository`,
//! `GetAuthorizationToken`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::error::RegistryError;
use super::super::repository::Repository;
use super::super::store::RegistryStore;
use super::request::{Caller, check_registry, parse, writable};
use super::shapes::{decode_token, encode_token, epoch_seconds, page_size};

/// ECR authorization tokens last 12 hours.
const TOKEN_LIFETIME_SECS: i64 = 12 * 3600;

fn repository_json(store: &RegistryStore, repo: &Repository) -> Value {
    json!({
        "repositoryArn": format!("arn:aws:ecr:{}:{}:repository/{}", store.region(), store.account(), repo.name),
        "registryId": store.account(),
        "repositoryName": repo.name,
        "repositoryUri": format!("{}/{}", store.registry_host(), repo.name),
        "createdAt": epoch_seconds(repo.created_at),
        "imageTagMutability": if repo.immutable { "IMMUTABLE" } else { "MUTABLE" },
        "imageScanningConfiguration": {"scanOnPush": false},
        "encryptionConfiguration": {"encryptionType": "AES256"},
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeRepositoriesRequest {
    registry_id: Option<String>,
    repository_names: Option<Vec<String>>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

pub(super) fn describe_repositories(
    store: &RegistryStore,
    caller: &Caller,
    body: &Value,
) -> Result<Value, RegistryError> {
    let req: DescribeRepositoriesRequest = parse(body, "DescribeRepositories")?;
    if let Some(names) = &req.repository_names {
        let mut repos = Vec::with_capacity(names.len());
        for name in names {
            check_registry(store, caller, req.registry_id.as_deref(), name)?;
            repos.push(store.with_repository(name, |r| repository_json(store, r))?);
        }
        return Ok(json!({"repositories": repos}));
    }
    let other_registry = req
        .registry_id
        .as_deref()
        .is_some_and(|id| id != store.account())
        || caller.region != store.region();
    if other_registry {
        return Ok(json!({"repositories": []}));
    }
    let size = page_size(req.max_results)?;
    let after = decode_token(req.next_token.as_deref(), "DescribeRepositories")?;
    store.with_repositories(|repos| {
        // Repositories page in name order; the token holds the count already returned.
        let listed: Vec<Value> = repos
            .values()
            .skip(usize::try_from(after).unwrap_or(usize::MAX))
            .take(size)
            .map(|r| repository_json(store, r))
            .collect();
        let returned = after.saturating_add(listed.len() as u64);
        let mut out = json!({"repositories": listed});
        if (returned as usize) < repos.len() {
            out["nextToken"] = json!(encode_token("DescribeRepositories", returned));
        }
        Ok(out)
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRepositoryRequest {
    registry_id: Option<String>,
    repository_name: String,
    image_tag_mutability: Option<String>,
}

pub(super) fn create_repository(
    store: &RegistryStore,
    caller: &Caller,
    body: &Value,
) -> Result<Value, RegistryError> {
    let req: CreateRepositoryRequest = parse(body, "CreateRepository")?;
    writable(store, caller, req.registry_id.as_deref())?;
    let immutable = match req.image_tag_mutability.as_deref() {
        None | Some("MUTABLE") => false,
        Some("IMMUTABLE") => true,
        Some(other) => {
            return Err(RegistryError::InvalidParameter(format!(
                "imageTagMutability '{other}' is not MUTABLE or IMMUTABLE"
            )));
        }
    };
    let repo = store.create_repository(&req.repository_name, immutable)?;
    Ok(json!({"repository": repository_json(store, &repo)}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetAuthorizationTokenRequest {
    registry_ids: Option<Vec<String>>,
}

pub(super) fn get_authorization_token(
    store: &RegistryStore,
    caller: &Caller,
    body: &Value,
) -> Result<Value, RegistryError> {
    let req: GetAuthorizationTokenRequest = parse(body, "GetAuthorizationToken")?;
    writable(store, caller, None)?;
    let ids = req
        .registry_ids
        .unwrap_or_else(|| vec![store.account().to_string()]);
    let expires = Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(TOKEN_LIFETIME_SECS))
        .unwrap_or(Timestamp::MAX);
    let data: Vec<Value> = ids
        .iter()
        .map(|id| {
            // A fresh random password per call, like ECR's; it is never logged.
            let password = hex::encode(rand::random::<[u8; 32]>());
            json!({
                "authorizationToken": STANDARD.encode(format!("AWS:{password}")),
                "expiresAt": epoch_seconds(expires),
                "proxyEndpoint": format!("https://{id}.dkr.ecr.{}.amazonaws.com", store.region()),
            })
        })
        .collect();
    Ok(json!({"authorizationData": data}))
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use super::*;

    #[test]
    fn repositories_create_describe_and_page() {
        let store = RegistryStore::new("123456789012", "us-west-2");
        for n in ["b-repo", "a-repo", "c-repo"] {
            let out = call(&store, "CreateRepository", json!({"repositoryName": n})).unwrap();
            assert_eq!(
                out["repository"]["repositoryUri"],
                format!("123456789012.dkr.ecr.us-west-2.amazonaws.com/{n}")
            );
        }
        let e = call(
            &store,
            "CreateRepository",
            json!({"repositoryName": "a-repo"}),
        )
        .unwrap_err();
        assert_eq!(e.code(), "RepositoryAlreadyExistsException");
        let e = call(
            &store,
            "CreateRepository",
            json!({"repositoryName": "x1", "imageTagMutability": "SOMETIMES"}),
        )
        .unwrap_err();
        assert_eq!(e.code(), "InvalidParameterException");
        let first = call(&store, "DescribeRepositories", json!({"maxResults": 2})).unwrap();
        assert_eq!(first["repositories"][0]["repositoryName"], "a-repo");
        let second = call(
            &store,
            "DescribeRepositories",
            json!({"nextToken": first["nextToken"]}),
        )
        .unwrap();
        assert_eq!(second["repositories"].as_array().unwrap().len(), 1);
        assert!(second.get("nextToken").is_none());
        let named = call(
            &store,
            "DescribeRepositories",
            json!({"repositoryNames": ["c-repo"]}),
        )
        .unwrap();
        assert_eq!(named["repositories"][0]["imageTagMutability"], "MUTABLE");
        let e = call(
            &store,
            "DescribeRepositories",
            json!({"repositoryNames": ["zzz"]}),
        )
        .unwrap_err();
        assert_eq!(e.code(), "RepositoryNotFoundException");
    }

    #[test]
    fn authorization_tokens_are_basic_auth_for_aws_and_fresh() {
        let store = RegistryStore::new("123456789012", "us-west-2");
        let a = call(&store, "GetAuthorizationToken", json!({})).unwrap();
        let b = call(&store, "GetAuthorizationToken", json!({})).unwrap();
        let token = a["authorizationData"][0]["authorizationToken"]
            .as_str()
            .unwrap();
        let decoded = String::from_utf8(STANDARD.decode(token).unwrap()).unwrap();
        assert!(decoded.starts_with("AWS:") && decoded.len() > 20);
        assert_ne!(
            a["authorizationData"][0]["authorizationToken"],
            b["authorizationData"][0]["authorizationToken"]
        );
        assert_eq!(
            a["authorizationData"][0]["proxyEndpoint"],
            "https://123456789012.dkr.ecr.us-west-2.amazonaws.com"
        );
        let expires = a["authorizationData"][0]["expiresAt"].as_f64().unwrap();
        let now = Timestamp::now().as_second() as f64;
        assert!((expires - now - 43_200.0).abs() < 60.0);
    }
}
