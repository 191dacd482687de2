//! API errors as Kubernetes `Status` objects: every non-2xx answer carries one, with the
//! reason and code a real API server would use, so clients (kubectl, kube-rs) report them
//! the way users know. These are values only; `respond` turns them into HTTP responses.

use serde_json::{Value, json};

/// The user name the sandbox's token authenticates as (in Forbidden messages).
pub const SANDBOX_USER: &str = "fluxdeck-sandbox";

/// An error answered as a `Status` body.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// Kubernetes `StatusReason`, e.g. `NotFound`.
    pub reason: &'static str,
    /// Human-readable message naming the object and the fix.
    pub message: String,
    /// Optional `details` (name, group, kind, causes).
    pub details: Option<Box<Value>>,
    /// Seconds the client should wait (503/429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    /// 400 BadRequest.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 401 Unauthorized.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    /// 403 Forbidden, worded like the RBAC authorizer.
    pub fn forbidden(
        verb: &str,
        resource: &str,
        group: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Self {
        let qualified = if group.is_empty() {
            resource.to_string()
        } else {
            format!("{resource}.{group}")
        };
        let subject = match name {
            Some(n) => format!("{qualified} \"{n}\" is forbidden"),
            None => format!("{qualified} is forbidden"),
        };
        let scope = match namespace {
            Some(ns) => format!(" in the namespace \"{ns}\""),
            None => " at the cluster scope".to_string(),
        };
        let mut e = Self::new(
            403,
            "Forbidden",
            format!(
                "{subject}: User \"{}\" cannot {verb} resource \"{resource}\" in API group \"{group}\"{scope}",
                SANDBOX_USER
            ),
        );
        e.details = Some(Box::new(
            json!({"name": name.unwrap_or_default(), "group": group, "kind": resource}),
        ));
        e
    }

    /// 404 NotFound for a named object.
    pub fn not_found(qualified_resource: &str, name: &str) -> Self {
        let mut e = Self::new(
            404,
            "NotFound",
            format!("{qualified_resource} \"{name}\" not found"),
        );
        e.details = Some(Box::new(json!({"name": name, "kind": qualified_resource})));
        e
    }

    /// 404 NotFound for a path that names no resource.
    pub fn no_route(path: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        )
    }

    /// 405 MethodNotAllowed.
    pub fn method_not_allowed(method: &str, what: &str) -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            format!(
                "the server does not allow this method on the requested resource: {method} {what}"
            ),
        )
    }

    /// 409 AlreadyExists.
    pub fn already_exists(qualified_resource: &str, name: &str) -> Self {
        let mut e = Self::new(
            409,
            "AlreadyExists",
            format!("{qualified_resource} \"{name}\" already exists"),
        );
        e.details = Some(Box::new(json!({"name": name, "kind": qualified_resource})));
        e
    }

    /// 409 Conflict on a stale `resourceVersion`.
    pub fn conflict(qualified_resource: &str, name: &str) -> Self {
        let mut e = Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {qualified_resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
            ),
        );
        e.details = Some(Box::new(json!({"name": name, "kind": qualified_resource})));
        e
    }

    /// 410 Gone (Expired) for a resourceVersion older than the retained history.
    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    /// 413 RequestEntityTooLarge.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!(
                "the request body is larger than the limit of {limit} bytes; split the object or patch only the fields that change"
            ),
        )
    }

    /// 415 UnsupportedMediaType.
    pub fn unsupported_media_type(content_type: &str, hint: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {hint} (got '{content_type}')"
            ),
        )
    }

    /// 422 Invalid, with one cause per field.
    pub fn invalid(kind: &str, name: &str, causes: Vec<(String, String)>) -> Self {
        let summary: Vec<String> = causes.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        let mut e = Self::new(
            422,
            "Invalid",
            format!("{kind} \"{name}\" is invalid: {}", summary.join(", ")),
        );
        e.details = Some(Box::new(json!({
            "name": name,
            "kind": kind,
            "causes": causes.iter().map(|(f, m)| json!({"reason": "FieldValueInvalid", "message": m, "field": f})).collect::<Vec<_>>(),
        })));
        e
    }

    /// 500 InternalError.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    /// 503 ServiceUnavailable.
    pub fn unavailable(retry_after: u64) -> Self {
        let mut e = Self::new(
            503,
            "ServiceUnavailable",
            "the server is currently unable to handle the request (sandbox fault: unavailable)",
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    /// The `Status` object.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            status["details"] = (**d).clone();
        }
        if let Some(s) = self.retry_after {
            status["details"]["retryAfterSeconds"] = json!(s);
        }
        status
    }
}

/// A `Status` for a successful delete.
pub fn success_status(kind: &str, name: &str, uid: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": name, "kind": kind, "uid": uid},
    })
}
