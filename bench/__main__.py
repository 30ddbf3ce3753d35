import sys
import warnings

# nameko imports eventlet, which warns on import that it is deprecated: not news here.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from bench.run import main  # noqa: E402

sys.exit(main())
