"""The HTTP/JSON transport: the JSON API, health, OpenAPI and the web page, on Starlette.

``newsfuse serve --http-port N`` serves it beside gRPC in the same process, over the same
``SummarizerService`` (so the same batchers and limits). Needs the ``http`` extra
(``pip install 'newsfuse[http]'``: Starlette and uvicorn). See ``docs/http.md``.
"""
