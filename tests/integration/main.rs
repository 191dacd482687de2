//! The integration tests in one binary (each module was its own test binary; every one of
//! them linked kube, aws and git2, which took most of the build). A module per subject,
//! and `support` holds the helpers they share.
//!
//! Tests that change process-wide state stay in binaries of their own: `git_http` and
//! `git_ssh` set environment variables, which is only sound while no other thread reads
//! the environment.

mod support;

mod actions;
mod cli_conventions;
mod cli_start;
mod cluster_connect;
mod cluster_logs;
mod cluster_namespaces;
mod cluster_outage;
mod cluster_proxy;
mod eks_exec;
mod git_sandbox;
mod git_worker;
mod headless;
mod integrate_hub;
mod integrate_snapshots;
mod lanes_live;
mod policy_cli;
mod policy_props;
mod readme_env;
mod readme_screenshot;
mod registry_mocks;
mod registry_moto;
mod registry_profiles;
mod registry_sandbox;
mod registry_worker;
mod sandbox_api;
mod sandbox_bench;
mod sandbox_git_serve;
mod sandbox_kubeconfig;
mod sandbox_kubectl;
mod sandbox_live;
mod sandbox_pod_logs;
mod sandbox_scenario;
mod sandbox_watch;
mod sandbox_workloads;
mod sandbox_workloads_failures;
mod setters_props;
mod setters_reference;
mod tui_pty;
mod tui_pty_clipboard;
mod tui_pty_commits;
mod tui_pty_demo;
mod tui_pty_logs;
mod tui_pty_record;
mod tui_pty_releases;
mod ui_app;
mod ui_commands;
mod ui_logs;
mod ui_snapshots;
