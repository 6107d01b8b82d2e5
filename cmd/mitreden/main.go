// Command mitreden runs the participation platform; see app/cli for the commands.
package main

import (
	"os"
	// The daily digest goes out at 07:00 Europe/Berlin, also on machines
	// without a time zone database.
	_ "time/tzdata"

	"github.com/mitreden/mitreden/app/cli"
	"github.com/mitreden/mitreden/app/config"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Env: config.OSEnv}))
}
