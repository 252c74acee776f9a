from kbtool.cli import main

raise SystemExit(main())
