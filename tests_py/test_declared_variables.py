"""The Python jobs read exactly the variables that jobs/contract/variables.json says, with its defaults."""

from collections.abc import Iterator, Mapping

import pytest
from pipeline.config import load_dag_config, load_task_config
from pipeline_contract import VARIABLES, ConfigError, declared_default
from stream_config import load_stream_config

READERS = {"dag": load_dag_config, "dag-tasks": load_task_config, "spark-job": load_stream_config}

# Valid values for the variables without a default.
REQUIRED_VALUES = {
    "PIPELINE_PG_DSN": "postgresql://pipeline:s3cret@db/pipeline",
    "PIPELINE_KAFKA_BOOTSTRAP_SERVERS": "broker:29092",
    "PIPELINE_KAFKA_USERNAME": "producer",
    "PIPELINE_KAFKA_PASSWORD": "kafka-s3cret",
    "PIPELINE_SCHEMA_REGISTRY_URL": "http://schema-registry:8081",
    "PIPELINE_SCHEMA_REGISTRY_USERNAME": "reader",
    "PIPELINE_SCHEMA_REGISTRY_PASSWORD": "registry-s3cret",
    "PIPELINE_CASSANDRA_CONTACT_POINTS": "cassandra:9042",
}


class RecordingEnv(Mapping):
    """An environment that remembers every name looked up in it, set or not."""

    def __init__(self, values: Mapping[str, str]):
        self._values = dict(values)
        self.looked_up: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.looked_up.add(name)
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def declared(component: str, required: bool | None = None) -> set[str]:
    return {
        v.name
        for v in VARIABLES.values()
        if component in v.read_by and (required is None or (v.default is None) == required)
    }


def required_env(component: str) -> dict[str, str]:
    return {name: REQUIRED_VALUES[name] for name in declared(component, required=True)}


@pytest.mark.parametrize("component", sorted(READERS))
def test_each_job_reads_exactly_its_declared_variables(component):
    env = RecordingEnv(required_env(component))

    READERS[component](env)

    assert env.looked_up == declared(component)


@pytest.mark.parametrize("component", sorted(READERS))
def test_each_job_requires_exactly_the_declared_required_variables(component):
    for name in declared(component, required=True):
        env = {k: v for k, v in required_env(component).items() if k != name}
        with pytest.raises(ConfigError, match=f"^{name} is required"):
            READERS[component](env)


@pytest.mark.parametrize("component", sorted(READERS))
def test_setting_every_declared_default_changes_nothing(component):
    env = required_env(component)
    defaults = {name: declared_default({}, name) for name in declared(component, required=False)}

    assert READERS[component]({**env, **defaults}) == READERS[component](env)
