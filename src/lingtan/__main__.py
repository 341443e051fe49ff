from lingtan.cli import main

main()
