// Every attack case on bwrap (see attack-suite.ts).
import { defineAttackSuite } from './attack-suite.ts';

defineAttackSuite('bwrap');
