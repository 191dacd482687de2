//! Why a registry call failed, as the ECR error it stands for.

/// Why a registry call failed; each maps onto the ECR error code it stands for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// `RepositoryNotFoundException`.
    #[error(
        "The repository with name '{repository}' does not exist in the registry with id '{account}'"
    )]
    RepositoryNotFound {
        /// The repository asked for.
        repository: String,
        /// The registry (account) asked.
        account: String,
    },
    /// `RepositoryAlreadyExistsException`.
    #[error(
        "The repository with name '{repository}' already exists in the registry with id '{account}'"
    )]
    RepositoryAlreadyExists {
        /// The repository.
        repository: String,
        /// The registry (account).
        account: String,
    },
    /// `ImageNotFoundException`.
    #[error(
        "The image with imageId {image} does not exist within the repository with name '{repository}'"
    )]
    ImageNotFound {
        /// The repository.
        repository: String,
        /// The image id asked for (`imageTag=...` or `imageDigest=...`).
        image: String,
    },
    /// `ImageAlreadyExistsException`.
    #[error(
        "Image with digest '{digest}' and tag '{tag}' already exists in the repository with name '{repository}' in registry with id '{account}'"
    )]
    ImageAlreadyExists {
        /// The repository.
        repository: String,
        /// The registry (account).
        account: String,
        /// The image digest.
        digest: String,
        /// The tag (empty for an untagged push).
        tag: String,
    },
    /// `ImageTagAlreadyExistsException` (immutable repositories).
    #[error(
        "The image tag '{tag}' already exists in the '{repository}' repository and cannot be overwritten because the repository is immutable"
    )]
    ImageTagAlreadyExists {
        /// The repository.
        repository: String,
        /// The tag.
        tag: String,
    },
    /// `ImageDigestDoesNotMatchException`.
    #[error(
        "imageDigest '{expected}' does not match the manifest's digest '{actual}'; send the manifest's sha256"
    )]
    ImageDigestDoesNotMatch {
        /// What the client said.
        expected: String,
        /// What the manifest hashes to.
        actual: String,
    },
    /// `InvalidParameterException`.
    #[error("{0}")]
    InvalidParameter(String),
}

impl RegistryError {
    /// The ECR error code (`__type` on the wire).
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::RepositoryNotFound { .. } => "RepositoryNotFoundException",
            RegistryError::RepositoryAlreadyExists { .. } => "RepositoryAlreadyExistsException",
            RegistryError::ImageNotFound { .. } => "ImageNotFoundException",
            RegistryError::ImageAlreadyExists { .. } => "ImageAlreadyExistsException",
            RegistryError::ImageTagAlreadyExists { .. } => "ImageTagAlreadyExistsException",
            RegistryError::ImageDigestDoesNotMatch { .. } => "ImageDigestDoesNotMatchException",
            RegistryError::InvalidParameter(_) => "InvalidParameterException",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_ecr_codes() {
        let e = RegistryError::RepositoryNotFound {
            repository: "a".into(),
            account: "1".into(),
        };
        assert_eq!(e.code(), "RepositoryNotFoundException");
        assert_eq!(
            e.to_string(),
            "The repository with name 'a' does not exist in the registry with id '1'"
        );
        assert_eq!(
            RegistryError::InvalidParameter("x".into()).code(),
            "InvalidParameterException"
        );
    }
}
