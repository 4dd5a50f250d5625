from .cli import main

if __name__ == "__main__":  # also keeps the parse worker's forkserver from running the CLI
    main()
