#!/usr/bin/env bash
# Kernel fixtures (placeholder until the fixture script lands).
exit 0
