//! Deployments: what a user chooses among — a model served by an engine, at some
//! quantization, on some hardware, with some serving settings. Every stored unit (an eval's
//! model × task, a bench's load point) belongs to one, so quality, speed and cost of the
//! same deployment join.
//!
//! A [`Deployment`] is an identity: its [`Deployment::id`] is a short hash of its canonical
//! JSON without the display label ([`Deployment::model_label`]), so the same weights
//! registered under two names, or a served model named differently by two commands, are the
//! same deployment. What a command cannot know (a remote server's hardware, its slot count)
//! is `None`/empty, never guessed.

use serde::{Deserialize, Serialize};

use crate::fingerprint::{short_hash, EndpointFingerprint};
use crate::host::Host;

/// The engine kind of a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EngineKind {
    /// yardstick's in-process llama.cpp.
    #[serde(rename = "llamacpp")]
    LlamaCpp,
    /// Any OpenAI-compatible server (vLLM, llama-server, `yardstick serve`, a hosted API…);
    /// which one, when it says, is in [`Engine::version`].
    #[serde(rename = "openai-compatible")]
    OpenAiCompatible,
}

crate::closed_set!(EngineKind, "engine kind", {
    LlamaCpp => "llamacpp",
    OpenAiCompatible => "openai-compatible",
});

/// Which weights a deployment serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelIdentity {
    /// A local GGUF file, by its sha256.
    Weights { sha256: String },
    /// A served model, whose weights are unknown: its id at a base URL.
    Served {
        served_model: String,
        base_url: String,
    },
}

/// The engine serving the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engine {
    pub kind: EngineKind,
    /// llama.cpp's version (without its CPU feature list), or the server's version header
    /// (`yardstick/0.1.0`, `vllm/0.6.3`); `None` when the server does not say.
    pub version: Option<String>,
}

/// The hardware a deployment runs on: detected for the in-process engine, described by the
/// user (`--hardware "1x H100 80GB"`) or unknown for a server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hardware {
    /// The user's description, when given instead of detected.
    pub described: Option<String>,
    /// The CPU model name.
    pub cpu: Option<String>,
    /// GPU model names, one per device (their count is the length).
    pub gpus: Vec<String>,
    /// Total memory, GiB, rounded to a whole number (a machine's total is stable to that).
    pub memory_gib: Option<u32>,
}

impl Hardware {
    /// The detected machine.
    pub fn detected(host: &Host) -> Hardware {
        Hardware {
            described: None,
            cpu: (!host.cpu.is_empty()).then(|| host.cpu.clone()),
            gpus: host.gpus.clone(),
            memory_gib: (host.memory_gib.is_finite() && host.memory_gib >= 0.0)
                .then(|| host.memory_gib.round() as u32),
        }
    }

    /// As the user describes it; empty text is unknown.
    pub fn described(text: &str) -> Hardware {
        let text = text.trim();
        Hardware {
            described: (!text.is_empty()).then(|| text.to_string()),
            ..Hardware::default()
        }
    }

    /// Whether nothing is known.
    pub fn is_unknown(&self) -> bool {
        self == &Hardware::default()
    }

    /// One line: `1x H100 80GB`, `Intel Xeon · 2x NVIDIA A10G · 32 GiB`, or `unknown`.
    pub fn describe(&self) -> String {
        if let Some(text) = &self.described {
            return text.clone();
        }
        let mut parts = Vec::new();
        if let Some(cpu) = &self.cpu {
            parts.push(cpu.clone());
        }
        if let Some(first) = self.gpus.first() {
            parts.push(format!("{}x {first}", self.gpus.len()));
        }
        if let Some(memory) = self.memory_gib {
            parts.push(format!("{memory} GiB"));
        }
        if parts.is_empty() {
            "unknown".to_string()
        } else {
            parts.join(" · ")
        }
    }
}

/// What the engine was loaded with; `None` where unknown (a server's own settings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServingSettings {
    /// Generations served side by side (llama.cpp sequences, llama-server `--parallel`).
    pub parallel: Option<u32>,
    pub context_tokens: Option<u32>,
    pub batch_tokens: Option<u32>,
    pub threads: Option<u32>,
    /// The engine's own description of its scheme, when no field above says it (rows
    /// stored before deployments existed: the fingerprint's batching scheme).
    pub scheme: Option<String>,
}

impl ServingSettings {
    /// `parallel 4, context 4096, batch 512, 8 threads`, or `unknown`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(parallel) = self.parallel {
            parts.push(format!("parallel {parallel}"));
        }
        if let Some(context) = self.context_tokens {
            parts.push(format!("context {context}"));
        }
        if let Some(batch) = self.batch_tokens {
            parts.push(format!("batch {batch}"));
        }
        if let Some(threads) = self.threads {
            parts.push(format!("{threads} threads"));
        }
        if let Some(scheme) = &self.scheme {
            parts.push(scheme.clone());
        }
        if parts.is_empty() {
            "unknown".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// A deployment's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// How results and the default name call the model (a registered name, a served id).
    /// Not part of the identity: [`Deployment::id`] leaves it out.
    pub model_label: String,
    pub model: ModelIdentity,
    pub engine: Engine,
    /// The GGUF file type (`Q4_K_M`); `None` for a server unless the user says.
    pub quantization: Option<String>,
    pub hardware: Hardware,
    pub serving: ServingSettings,
}

/// The hashed part of a deployment: everything but the label, in declaration order.
#[derive(Serialize)]
struct Identity<'a> {
    model: &'a ModelIdentity,
    engine: &'a Engine,
    quantization: &'a Option<String>,
    hardware: &'a Hardware,
    serving: &'a ServingSettings,
}

impl Deployment {
    /// A model served by an OpenAI-compatible server: the one identity function of every
    /// command that measures a server (an endpoint eval and an endpoint bench of the same
    /// server and served model are the same deployment). Its hardware is unknown unless the
    /// user describes it; its serving settings are the server's own, unknown.
    pub fn served(
        model_label: &str,
        served_model: &str,
        base_url: &str,
        server_version: Option<&str>,
        hardware: Hardware,
    ) -> Deployment {
        Deployment {
            model_label: model_label.to_string(),
            model: ModelIdentity::Served {
                served_model: served_model.to_string(),
                base_url: canonical_base_url(base_url),
            },
            engine: Engine {
                kind: EngineKind::OpenAiCompatible,
                version: server_version.map(str::to_string),
            },
            quantization: None,
            hardware,
            serving: ServingSettings::default(),
        }
    }

    /// The server an eval unit was scored through, from its fingerprint.
    pub fn from_endpoint(
        model_label: &str,
        endpoint: &EndpointFingerprint,
        hardware: Hardware,
    ) -> Deployment {
        Deployment::served(
            model_label,
            &endpoint.served_model,
            &endpoint.base_url,
            endpoint.server_version.as_deref(),
            hardware,
        )
    }

    /// A GGUF file run by yardstick's in-process llama.cpp (`engine_version` may carry the
    /// CPU feature list, which is left out: [`llama_cpp_release`]).
    pub fn in_process(
        model_label: &str,
        sha256: &str,
        engine_version: &str,
        quantization: Option<String>,
        hardware: Hardware,
        serving: ServingSettings,
    ) -> Deployment {
        Deployment {
            model_label: model_label.to_string(),
            model: ModelIdentity::Weights {
                sha256: sha256.to_string(),
            },
            engine: Engine {
                kind: EngineKind::LlamaCpp,
                version: Some(llama_cpp_release(engine_version)),
            },
            quantization,
            hardware,
            serving,
        }
    }

    /// A short, stable identifier: 16 hex digits of the sha256 of the identity's canonical
    /// JSON (the label left out).
    pub fn id(&self) -> String {
        short_hash(&Identity {
            model: &self.model,
            engine: &self.engine,
            quantization: &self.quantization,
            hardware: &self.hardware,
            serving: &self.serving,
        })
    }

    /// The name a deployment gets unless the user gives one:
    /// `gemma-3-270m Q4_K_M · llamacpp b6xxx · <hardware>` (a served model: its base URL
    /// after the engine). Two deployments that differ by their serving settings alone have
    /// the same default name; the store then gives the later one [`Deployment::unique_name`].
    pub fn default_name(&self) -> String {
        let mut name = self.model_label.clone();
        if let Some(quantization) = &self.quantization {
            name.push(' ');
            name.push_str(quantization);
        }
        name.push_str(" · ");
        name.push_str(self.engine.kind.as_str());
        if let Some(version) = &self.engine.version {
            name.push(' ');
            name.push_str(version);
        }
        if let ModelIdentity::Served { base_url, .. } = &self.model {
            name.push_str(" @ ");
            name.push_str(base_url);
        }
        if !self.hardware.is_unknown() {
            name.push_str(" · ");
            name.push_str(&self.hardware.describe());
        }
        name
    }

    /// The default name with the id's first 8 digits: unique where the default name is taken.
    pub fn unique_name(&self) -> String {
        format!("{} · {}", self.default_name(), &self.id()[..8])
    }

    /// Whether `other` serves the same weights on the same engine at the same quantization:
    /// the same quality is expected whatever the hardware and serving settings (a score is a
    /// function of the item alone), so a deployment without eval results of its own may
    /// show this one's, said so.
    pub fn same_weights_and_engine(&self, other: &Deployment) -> bool {
        self.model == other.model
            && self.engine == other.engine
            && self.quantization == other.quantization
    }

    /// The model part of a listing: the label and what identifies it.
    pub fn describe_model(&self) -> String {
        match &self.model {
            ModelIdentity::Weights { sha256 } => {
                let short = sha256.get(..12).unwrap_or(sha256);
                format!("{} (sha256 {short})", self.model_label)
            }
            ModelIdentity::Served {
                served_model,
                base_url,
            } => format!("{served_model} at {base_url}"),
        }
    }

    /// The engine part of a listing: `llamacpp b6000`, `openai-compatible vllm/0.6.3`.
    pub fn describe_engine(&self) -> String {
        match &self.engine.version {
            Some(version) => format!("{} {version}", self.engine.kind),
            None => self.engine.kind.to_string(),
        }
    }
}

/// llama.cpp's version as a deployment names it: the fingerprint's engine version without
/// the bracketed CPU feature list (`b6000 [AVX2 = 1 …]` → `b6000`).
pub fn llama_cpp_release(engine_version: &str) -> String {
    engine_version
        .split(" [")
        .next()
        .unwrap_or(engine_version)
        .trim()
        .to_string()
}

/// A served model's base URL as deployments compare it: without trailing slashes.
pub fn canonical_base_url(base_url: &str) -> String {
    base_url.trim().trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Deployment {
        Deployment {
            model_label: "gemma-3-270m".into(),
            model: ModelIdentity::Weights {
                sha256: "ab".repeat(32),
            },
            engine: Engine {
                kind: EngineKind::LlamaCpp,
                version: Some("b6000".into()),
            },
            quantization: Some("Q4_K_M".into()),
            hardware: Hardware::detected(&Host {
                cpu: "AMD EPYC 7R13".into(),
                logical_cpus: 8,
                physical_cores: Some(4),
                memory_gib: 31.25,
                gpus: Vec::new(),
                os: None,
            }),
            serving: ServingSettings {
                parallel: Some(4),
                context_tokens: Some(4096),
                batch_tokens: Some(512),
                threads: Some(4),
                scheme: None,
            },
        }
    }

    fn served() -> Deployment {
        Deployment {
            model_label: "qwen".into(),
            model: ModelIdentity::Served {
                served_model: "qwen".into(),
                base_url: canonical_base_url("http://127.0.0.1:8000/v1/"),
            },
            engine: Engine {
                kind: EngineKind::OpenAiCompatible,
                version: Some("vllm/0.6.3".into()),
            },
            quantization: None,
            hardware: Hardware::default(),
            serving: ServingSettings::default(),
        }
    }

    #[test]
    fn the_id_follows_the_identity_but_not_the_label() {
        let mut renamed = local();
        renamed.model_label = "another name".into();
        assert_eq!(renamed.id(), local().id());
        assert_eq!(local().id().len(), 16);
        let mut other = local();
        other.serving.parallel = Some(1);
        assert_ne!(other.id(), local().id());
        let mut elsewhere = local();
        elsewhere.hardware = Hardware::described("1x H100 80GB");
        assert_ne!(elsewhere.id(), local().id());
    }

    #[test]
    fn it_round_trips_as_json_with_named_kinds() {
        let json = serde_json::to_value(served()).expect("serialises");
        assert_eq!(json["model"]["kind"], "served");
        assert_eq!(json["model"]["base_url"], "http://127.0.0.1:8000/v1");
        assert_eq!(json["engine"]["kind"], "openai-compatible");
        let read: Deployment = serde_json::from_value(json).expect("reads");
        assert_eq!(read, served());
        assert_eq!(
            serde_json::to_value(EngineKind::LlamaCpp).expect("serialises"),
            EngineKind::LlamaCpp.as_str()
        );
    }

    #[test]
    fn default_names_say_model_quantization_engine_and_hardware() {
        let name = local().default_name();
        assert_eq!(
            name,
            "gemma-3-270m Q4_K_M · llamacpp b6000 · AMD EPYC 7R13 · 31 GiB"
        );
        assert_eq!(
            local().unique_name(),
            format!("{name} · {}", &local().id()[..8])
        );
        assert_eq!(
            served().default_name(),
            "qwen · openai-compatible vllm/0.6.3 @ http://127.0.0.1:8000/v1"
        );
    }

    #[test]
    fn same_weights_and_engine_ignores_hardware_and_settings_only() {
        let mut bigger = local();
        bigger.serving.parallel = Some(16);
        bigger.hardware = Hardware::default();
        assert!(local().same_weights_and_engine(&bigger));
        assert!(!local().same_weights_and_engine(&served()));
        let mut requantized = local();
        requantized.quantization = Some("Q8_0".into());
        assert!(!local().same_weights_and_engine(&requantized));
    }

    #[test]
    fn descriptions_read_well() {
        assert_eq!(Hardware::default().describe(), "unknown");
        assert_eq!(Hardware::described("  ").describe(), "unknown");
        assert_eq!(
            Hardware::described("1x H100 80GB").describe(),
            "1x H100 80GB"
        );
        assert_eq!(
            Hardware {
                gpus: vec!["NVIDIA A10G".into(), "NVIDIA A10G".into()],
                ..Hardware::default()
            }
            .describe(),
            "2x NVIDIA A10G"
        );
        assert_eq!(
            local().serving.describe(),
            "parallel 4, context 4096, batch 512, 4 threads"
        );
        assert_eq!(ServingSettings::default().describe(), "unknown");
        assert_eq!(llama_cpp_release("b6000 [AVX2 = 1 | FMA = 1]"), "b6000");
        assert_eq!(llama_cpp_release("b1"), "b1");
        assert_eq!(served().describe_engine(), "openai-compatible vllm/0.6.3");
    }
}
