"""Generated code of the newsfuse.v1 API."""
