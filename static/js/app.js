// Project scripts. No inline script is allowed by the Content-Security-Policy.
"use strict";
