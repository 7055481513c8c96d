from fixengine.cli import main

raise SystemExit(main())
