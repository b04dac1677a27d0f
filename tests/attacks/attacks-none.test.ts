// Every attack case on none (see attack-suite.ts).
import { defineAttackSuite } from './attack-suite.ts';

defineAttackSuite('none');
