// Every attack case on isolate (see attack-suite.ts).
import { defineAttackSuite } from './attack-suite.ts';

defineAttackSuite('isolate');
