/**
 * Entry point of the dashboard bundle: styles, theme, and the app over the registered views.
 */
import './styles/main.css';
import { createApp } from './app.js';
import { createTheme } from './theme.js';
import { VIEWS } from './views/index.js';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
void createApp({ root, theme: createTheme(), views: VIEWS }).start();
