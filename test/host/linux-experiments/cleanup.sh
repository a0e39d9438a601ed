#!/bin/sh
ip netns del lx-a 2>/dev/null; ip netns del lx-b 2>/dev/null
