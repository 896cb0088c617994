from fzc.cli import main

main()
