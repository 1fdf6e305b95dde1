"""The gRPC server of newsfuse: ``newsfuse serve`` (see ``app.NewsfuseServer``)."""
