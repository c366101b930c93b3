"""The TFLite core that every delegate shares: node-subset partitioning (`graph_info.cc`), the
fp16 partition helper (`delegates/utils.cc`). Names no delegate target."""
