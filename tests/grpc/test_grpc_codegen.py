"""The committed generated code is what the .proto produces today (freshness check)."""

from __future__ import annotations

import subprocess
import sys

from grpc_support import ROOT
from newsfuse.proto.v1 import summarizer_pb2 as pb
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc


def test_generated_code_is_fresh() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr[-3000:]


def test_generated_modules_import_each_other_relatively() -> None:
    source = (ROOT / "service/newsfuse/proto/v1/summarizer_pb2_grpc.py").read_text()
    assert "from . import summarizer_pb2" in source
    assert "from newsfuse.v1" not in source
    assert pb_grpc.SummarizerStub is not None
    assert pb.DESCRIPTOR.name == "newsfuse/v1/summarizer.proto"


def test_api_names_other_services_rely_on() -> None:
    fields = {
        m: {f.name for f in getattr(pb, m).DESCRIPTOR.fields}
        for m in (
            "SummarizeRequest",
            "Document",
            "SummarizeResponse",
            "SummarySentence",
            "Citation",
        )
    }
    assert {"documents", "options"} <= fields["SummarizeRequest"]
    assert {"id", "text", "title", "published_at"} <= fields["Document"]
    assert {"sentences", "duplicates", "stats"} <= fields["SummarizeResponse"]
    assert {"text", "citations"} <= fields["SummarySentence"]
    assert fields["Citation"] == {"document_id", "sentence_index", "start", "end", "score"}
    methods = pb.DESCRIPTOR.services_by_name["Summarizer"].methods_by_name
    assert set(methods) == {"Summarize", "SummarizeBatch", "GetInfo"}
    assert methods["SummarizeBatch"].server_streaming
