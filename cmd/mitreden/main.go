// Command mitreden runs the participation platform; see app/cli for the commands.
package main

import (
	"os"

	"github.com/mitreden/mitreden/app/cli"
	"github.com/mitreden/mitreden/app/config"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Env: config.OSEnv}))
}
