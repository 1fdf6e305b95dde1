"""The embedding cache in the server: in front of the cross-request batcher, in the metrics."""

from __future__ import annotations

from collections import Counter

from grpc_support import GatedEmbedder, channel_to, marked_request, running_server, scrape
from newsfuse.embed import CachingEmbedder, EmbeddingCache
from newsfuse.pipeline import Pipeline
from newsfuse.proto.v1 import summarizer_pb2_grpc as pb_grpc
from newsfuse.settings import Settings


def test_only_cache_misses_reach_the_batcher_and_the_counters_are_exported() -> None:
    model = GatedEmbedder()
    cache = EmbeddingCache(2**22)

    def factory(settings: Settings) -> Pipeline:
        return Pipeline(settings, CachingEmbedder(model, cache))

    with running_server(factory=factory) as server:
        engine = server.engine
        assert engine is not None and engine.cache is cache
        stub = pb_grpc.SummarizerStub(channel_to(server))
        calls_before = model.calls
        first = stub.Summarize(marked_request("Reuters"), timeout=30)
        seen = len(model.seen)
        second = stub.Summarize(marked_request("Reuters"), timeout=30)
        assert second.sentences == first.sentences
        # The repeat never reached the model: every sentence and title came from the cache.
        assert len(model.seen) == seen and model.calls > calls_before
        assert max(Counter(model.seen).values()) == 1  # nothing embedded twice
        stats = cache.stats()
        assert stats.hits > 0 and stats.entries == stats.misses
        text = scrape(server)
    values = {
        line.split()[0]: float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("newsfuse_embedding_cache")
    }
    assert values["newsfuse_embedding_cache_hits_total"] == stats.hits
    assert values["newsfuse_embedding_cache_misses_total"] == stats.misses
    assert values["newsfuse_embedding_cache_entries"] == stats.entries
    assert 0 < values["newsfuse_embedding_cache_bytes"] <= 2**22
    assert values["newsfuse_embedding_cache_capacity_bytes"] == 2**22
