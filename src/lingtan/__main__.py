from lingtan.cli.main import main

main()
