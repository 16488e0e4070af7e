/* cli: heed's command line. The commands are one table of {name, alias, usage,
 * help, options, handler}; help is generated from it. Dispatch takes an exact
 * name or a unique prefix. Exit status: 0 ok, 1 error, 2 usage error. */
#ifndef HEED_CLI_H
#define HEED_CLI_H

/* Run heed with argv; returns the process exit status. */
int heed_cli_main(int argc, char **argv);

#endif
