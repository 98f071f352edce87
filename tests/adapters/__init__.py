"""The task adapters against tiny twins: the tests whose answer depends on the transformers version."""
